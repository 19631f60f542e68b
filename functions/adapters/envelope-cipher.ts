import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { CredentialCipher, KeyProvider, SealedCredential } from "../core/ports";

const IV_BYTES = 12;
const TAG_BYTES = 16;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A sealed credential this cipher cannot read: wrong version or field sizes. Names the field, never its value. */
export class SealedCredentialError extends Error {
  override readonly name = "SealedCredentialError";
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

/**
 * Envelope encryption: one data key per credential from the key provider, AES-256-GCM with a random 96-bit IV and a
 * full 128-bit tag. The workspace id is both the key's encryption context and GCM's additional data, so a sealed
 * credential copied to another workspace opens nowhere. Plaintext keys are zeroed as soon as they are used.
 */
export class EnvelopeCipher implements CredentialCipher {
  constructor(private readonly keys: KeyProvider) {}

  async seal(plaintext: Buffer, workspaceId: string): Promise<SealedCredential> {
    const { plaintext: key, wrapped, keyId } = await this.keys.generateDataKey({ workspace_id: workspaceId });
    try {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(workspaceId, "utf8"));
      const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return {
        v: 1,
        key_id: keyId,
        wrapped_key: wrapped.toString("base64"),
        iv: iv.toString("base64"),
        tag: cipher.getAuthTag().toString("base64"),
        ciphertext: ciphertext.toString("base64"),
      };
    } finally {
      key.fill(0);
    }
  }

  async open(sealed: SealedCredential, workspaceId: string): Promise<Buffer> {
    // Checked before any key is unwrapped: GCM itself would take a 4-byte tag or an 8-byte IV.
    if (sealed.v !== 1) throw new SealedCredentialError(`unknown sealed credential version ${String(sealed.v)}`);
    const iv = decodeField(sealed, "iv", IV_BYTES);
    const tag = decodeField(sealed, "tag", TAG_BYTES);
    const ciphertext = decodeField(sealed, "ciphertext");
    const wrapped = decodeField(sealed, "wrapped_key");
    const key = await this.keys.decryptDataKey(wrapped, { workspace_id: workspaceId });
    try {
      const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(workspaceId, "utf8"));
      decipher.setAuthTag(tag);
      // GCM's update() returns plaintext before the tag is checked: zero it if final() refuses the tag.
      const plain = decipher.update(ciphertext);
      try {
        decipher.final();
      } catch (err) {
        plain.fill(0);
        throw err;
      }
      return plain;
    } finally {
      key.fill(0);
    }
  }
}
