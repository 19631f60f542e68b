import { randomBytes } from "node:crypto";
import { CredentialUnreadableError } from "../core/errors";
import type { CredentialBinding, CredentialCipher, KeyProvider, SealedCredential } from "../core/ports";
import { GCM_IV_BYTES, GCM_TAG_BYTES, gcmOpen, gcmSeal } from "./gcm";

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * A sealed credential this cipher cannot read: wrong version or field sizes, or it does not authenticate under the
 * binding it is opened with. Names the field, never its value.
 */
export class SealedCredentialError extends CredentialUnreadableError {
  override readonly name: string = "SealedCredentialError";
}

/** Decodes one base64 field strictly (Buffer.from silently skips junk), optionally of an exact length. */
function decodeField(sealed: SealedCredential, field: "wrapped_key" | "iv" | "tag" | "ciphertext", bytes?: number) {
  const value: unknown = sealed[field];
  if (typeof value !== "string" || !BASE64.test(value)) throw new SealedCredentialError(`${field} is not base64`);
  const decoded = Buffer.from(value, "base64");
  if (bytes !== undefined && decoded.length !== bytes)
    throw new SealedCredentialError(`${field} must be ${bytes} bytes, not ${decoded.length}`);
  if (decoded.length === 0) throw new SealedCredentialError(`${field} is empty`);
  return decoded;
}

/** GCM additional data of version 2: every field of the binding, in an encoding no two bindings share. */
const additionalData = (b: CredentialBinding) =>
  Buffer.from(JSON.stringify(["medulla-slack-credential", 2, b.workspace_id, b.method, b.connection_id]), "utf8");

/**
 * Envelope encryption: one data key per credential from the key provider, AES-256-GCM with a random 96-bit IV and a
 * full 128-bit tag. The workspace id is the data key's KMS encryption context (the key policy requires it); the
 * workspace id, the method and the connection id are GCM's additional data, so a sealed credential moved to another
 * workspace, another connection or read as another method opens nowhere. Plaintext keys are zeroed after use.
 */
export class EnvelopeCipher implements CredentialCipher {
  constructor(private readonly keys: KeyProvider) {}

  async seal(plaintext: Buffer, binding: CredentialBinding): Promise<SealedCredential> {
    const { plaintext: key, wrapped, keyId } = await this.keys.generateDataKey({ workspace_id: binding.workspace_id });
    try {
      const iv = randomBytes(GCM_IV_BYTES);
      const { ciphertext, tag } = gcmSeal(key, iv, additionalData(binding), plaintext);
      return {
        v: 2,
        key_id: keyId,
        wrapped_key: wrapped.toString("base64"),
        iv: iv.toString("base64"),
        tag: tag.toString("base64"),
        ciphertext: ciphertext.toString("base64"),
      };
    } finally {
      key.fill(0);
    }
  }

  async open(sealed: SealedCredential, binding: CredentialBinding): Promise<Buffer> {
    // Checked before any key is unwrapped: GCM itself would take a 4-byte tag or an 8-byte IV.
    if (sealed.v !== 1 && sealed.v !== 2)
      throw new SealedCredentialError(`unknown sealed credential version ${String(sealed.v)}`);
    const iv = decodeField(sealed, "iv", GCM_IV_BYTES);
    const tag = decodeField(sealed, "tag", GCM_TAG_BYTES);
    const ciphertext = decodeField(sealed, "ciphertext");
    const wrapped = decodeField(sealed, "wrapped_key");
    // Version 1 (sealed before the binding covered method and connection) still opens, bound to the looked-up
    // workspace as it always was: refusing it would disconnect every workspace at deploy, while the attack that
    // matters (an item copied to another workspace) fails for it too, on the KMS context and on the store's check.
    // The next PUT re-seals it as version 2 (connectIntegration), with or without a new credential.
    const aad = sealed.v === 2 ? additionalData(binding) : Buffer.from(binding.workspace_id, "utf8");
    const key = await this.keys.decryptDataKey(wrapped, { workspace_id: binding.workspace_id });
    try {
      return gcmOpen(key, iv, aad, tag, ciphertext);
    } catch {
      throw new SealedCredentialError("the credential does not authenticate under this workspace and connection");
    } finally {
      key.fill(0);
    }
  }
}
