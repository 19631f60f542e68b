import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { CredentialUnreadableError } from "../core/errors";
import type { KeyProvider } from "../core/ports";
import { GCM_IV_BYTES, GCM_TAG_BYTES, gcmOpen, gcmSeal } from "./gcm";

const contextAad = (context: Record<string, string>) =>
  Buffer.from(JSON.stringify(Object.entries(context).sort(([a], [b]) => a.localeCompare(b))), "utf8");

/** A wrapped data key is iv | tag | body, each of fixed size: anything else is refused, never guessed at. */
const KEY_BYTES = 32;
const WRAPPED_BYTES = GCM_IV_BYTES + GCM_TAG_BYTES + KEY_BYTES;

/**
 * Stands in for KMS on a machine without AWS: data keys are wrapped with AES-256-GCM under a 256-bit master key
 * kept in a file of mode 0600, the encryption context bound as additional data exactly as KMS binds it.
 */
export class LocalKeyProvider implements KeyProvider {
  private readonly master: Buffer;

  constructor(masterKeyFile: string) {
    this.master = LocalKeyProvider.loadOrCreate(masterKeyFile);
  }

  private static loadOrCreate(file: string): Buffer {
    if (!existsSync(file)) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, randomBytes(32).toString("base64"), { mode: 0o600, flag: "wx" });
    }
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    const key = Buffer.from(readFileSync(file, "utf8").trim(), "base64");
    if (key.length !== 32) throw new Error(`${file} does not hold a 256-bit base64 master key`);
    return key;
  }

  async generateDataKey(context: Record<string, string>) {
    const plaintext = randomBytes(KEY_BYTES);
    const iv = randomBytes(GCM_IV_BYTES);
    const { ciphertext, tag } = gcmSeal(this.master, iv, contextAad(context), plaintext);
    return { plaintext, wrapped: Buffer.concat([iv, tag, ciphertext]), keyId: "local" };
  }

  async decryptDataKey(wrapped: Buffer, context: Record<string, string>) {
    // A shorter blob would otherwise be read as a truncated tag.
    if (wrapped.length !== WRAPPED_BYTES)
      throw new CredentialUnreadableError(`a wrapped data key is ${WRAPPED_BYTES} bytes`);
    const iv = wrapped.subarray(0, GCM_IV_BYTES);
    const tag = wrapped.subarray(GCM_IV_BYTES, GCM_IV_BYTES + GCM_TAG_BYTES);
    try {
      return gcmOpen(this.master, iv, contextAad(context), tag, wrapped.subarray(GCM_IV_BYTES + GCM_TAG_BYTES));
    } catch {
      // What KMS answers InvalidCiphertextException to: another context, or a damaged blob.
      throw new CredentialUnreadableError("the wrapped data key does not open under this encryption context");
    }
  }
}
