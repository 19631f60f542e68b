import { DecryptCommand, type DecryptCommandOutput, GenerateDataKeyCommand, type KMSClient } from "@aws-sdk/client-kms";
import { CredentialUnreadableError } from "../core/errors";
import type { KeyProvider } from "../core/ports";

const PERMANENT = new Set(["InvalidCiphertextException", "IncorrectKeyException"]);

/** A view of the SDK's array, not a copy, so zeroing the key the cipher holds zeroes the only copy we hold. */
const asKey = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** Data keys from AWS KMS; the encryption context is what the key policy requires. */
export class KmsKeyProvider implements KeyProvider {
  constructor(
    private readonly kms: KMSClient,
    private readonly keyId: string,
  ) {}

  async generateDataKey(context: Record<string, string>) {
    const out = await this.kms.send(
      new GenerateDataKeyCommand({ KeyId: this.keyId, KeySpec: "AES_256", EncryptionContext: context }),
    );
    if (!out.Plaintext || !out.CiphertextBlob) throw new Error("KMS GenerateDataKey returned no key");
    return {
      plaintext: asKey(out.Plaintext),
      wrapped: Buffer.from(out.CiphertextBlob),
      keyId: out.KeyId ?? this.keyId,
    };
  }

  async decryptDataKey(wrapped: Buffer, context: Record<string, string>) {
    let out: DecryptCommandOutput;
    try {
      out = await this.kms.send(
        new DecryptCommand({ KeyId: this.keyId, CiphertextBlob: wrapped, EncryptionContext: context }),
      );
    } catch (err) {
      // A blob KMS will never open (another context, damaged): permanent. Anything else (throttling, access) is not.
      if (err instanceof Error && PERMANENT.has(err.name)) throw new CredentialUnreadableError(`KMS: ${err.name}`);
      throw err;
    }
    if (!out.Plaintext) throw new Error("KMS Decrypt returned no key");
    return asKey(out.Plaintext);
  }
}
