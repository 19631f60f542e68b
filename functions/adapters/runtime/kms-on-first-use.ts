import type { KeyProvider } from "../../core/ports";
import type { FunctionName } from "../client-hooks";
import type { KmsKeyProviderFactory } from "./cipher";

/**
 * KMS loaded on the first seal or open, for the API: only connect uses the key (sealing a new credential), so no
 * other route builds the KMS client. The CDK bundles without code splitting, so esbuild inlines ./kms into the same file: it is parsed with
 * the bundle and only its evaluation waits, and measured, the API's cold start gained nothing from it (README, "Cold
 * starts").
 */
export const kmsKeyProviderOnFirstUse: KmsKeyProviderFactory = (keyId: string, fn: FunctionName) => {
  let loading: Promise<KeyProvider> | undefined;
  const provider = () => {
    loading ??= import("./kms").then(
      (m) => m.kmsKeyProvider(keyId, fn),
      (err: unknown) => {
        loading = undefined; // a failed import is tried again by the next call
        throw err;
      },
    );
    return loading;
  };
  return {
    generateDataKey: async (context) => (await provider()).generateDataKey(context),
    decryptDataKey: async (wrapped, context) => (await provider()).decryptDataKey(wrapped, context),
  };
};
