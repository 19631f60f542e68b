import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { CredentialCipher, KeyProvider, SealedCredential } from "../core/ports";

/**
 * Envelope encryption: one data key per credential from the key provider, AES-256-GCM with a random 96-bit IV. The
 * workspace id is both the key's encryption context and GCM's additional data, so a sealed credential copied to
 * another workspace opens nowhere. Plaintext keys are zeroed as soon as they are used.
 */
export class EnvelopeCipher implements CredentialCipher {
  constructor(private readonly keys: KeyProvider) {}

  async seal(plaintext: Buffer, workspaceId: string): Promise<SealedCredential> {
    const { plaintext: key, wrapped, keyId } = await this.keys.generateDataKey({ workspace_id: workspaceId });
    try {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
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
    const key = await this.keys.decryptDataKey(Buffer.from(sealed.wrapped_key, "base64"), {
      workspace_id: workspaceId,
    });
    try {
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(sealed.iv, "base64"));
      decipher.setAAD(Buffer.from(workspaceId, "utf8"));
      decipher.setAuthTag(Buffer.from(sealed.tag, "base64"));
      return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, "base64")), decipher.final()]);
    } finally {
      key.fill(0);
    }
  }
}
