import { createCipheriv, createDecipheriv } from "node:crypto";

/** AES-256-GCM as every sealed credential and wrapped key uses it: a 96-bit IV and the full 128-bit tag. */
export const GCM_IV_BYTES = 12;
export const GCM_TAG_BYTES = 16;

export function gcmSeal(key: Buffer, iv: Buffer, aad: Buffer, plaintext: Buffer) {
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: GCM_TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { ciphertext, tag: cipher.getAuthTag() };
}

/**
 * Deciphers and authenticates. Without authTagLength Node accepts tags down to 4 bytes, and GCM's update() hands out
 * plaintext before the tag is checked: the sizes are checked first and the plaintext zeroed if the tag fails.
 */
export function gcmOpen(key: Buffer, iv: Buffer, aad: Buffer, tag: Buffer, ciphertext: Buffer): Buffer {
  if (iv.length !== GCM_IV_BYTES || tag.length !== GCM_TAG_BYTES)
    throw new Error(`AES-GCM needs a ${GCM_IV_BYTES}-byte IV and a ${GCM_TAG_BYTES}-byte tag`);
  const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: GCM_TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  const plain = decipher.update(ciphertext);
  try {
    decipher.final();
  } catch (err) {
    plain.fill(0);
    throw err;
  }
  return plain;
}
