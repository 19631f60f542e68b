import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { KeyProvider } from "../core/ports";

const contextAad = (context: Record<string, string>) =>
  Buffer.from(JSON.stringify(Object.entries(context).sort(([a], [b]) => a.localeCompare(b))), "utf8");

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
    const plaintext = randomBytes(32);
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.master, iv);
    cipher.setAAD(contextAad(context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return { plaintext, wrapped: Buffer.concat([iv, cipher.getAuthTag(), body]), keyId: "local" };
  }

  async decryptDataKey(wrapped: Buffer, context: Record<string, string>) {
    const decipher = createDecipheriv("aes-256-gcm", this.master, wrapped.subarray(0, 12));
    decipher.setAAD(contextAad(context));
    decipher.setAuthTag(wrapped.subarray(12, 28));
    return Buffer.concat([decipher.update(wrapped.subarray(28)), decipher.final()]);
  }
}
