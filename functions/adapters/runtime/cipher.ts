import { DATA_KEY_CACHE } from "../../core/operational";
import type { CredentialCipher, KeyProvider } from "../../core/ports";
import { type FunctionName, hookedKeyProvider } from "../client-hooks";
import type { Config } from "../config";
import { CachingKeyProvider } from "../data-key-cache";
import { EnvelopeCipher } from "../envelope-cipher";
import { LocalKeyProvider } from "../local-key-provider";

/** Builds the KMS key provider; the entry point picks ./kms (static import) or ./kms-on-first-use. */
export type KmsKeyProviderFactory = (keyId: string, fn: FunctionName) => KeyProvider;

/**
 * The credential cipher: KMS on AWS, the local master key file elsewhere. `cacheDataKeys` keeps unwrapped data keys
 * for a bounded time and number of uses (DATA_KEY_CACHE); only the delivery function asks for it.
 */
export function cipherFrom(
  config: Config,
  fn: FunctionName,
  opts: { kms: KmsKeyProviderFactory; cacheDataKeys?: boolean },
): CredentialCipher {
  let keys: KeyProvider;
  if (config.KMS_KEY_ID) keys = opts.kms(config.KMS_KEY_ID, fn);
  else if (config.LOCAL_MASTER_KEY_FILE) keys = new LocalKeyProvider(config.LOCAL_MASTER_KEY_FILE);
  else throw new Error("Invalid configuration: set KMS_KEY_ID (AWS) or LOCAL_MASTER_KEY_FILE (local runs)");
  // Hooks see what reaches KMS (or the key file standing in for it): below the cache, so hits are not counted.
  keys = hookedKeyProvider(keys, fn);
  return new EnvelopeCipher(opts.cacheDataKeys ? new CachingKeyProvider(keys, DATA_KEY_CACHE) : keys);
}
