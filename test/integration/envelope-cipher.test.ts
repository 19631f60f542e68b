import { createCipheriv } from "node:crypto";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, it } from "vitest";
import { EnvelopeCipher } from "../../functions/adapters/envelope-cipher";
import { KmsKeyProvider } from "../../functions/adapters/kms-key-provider";
import { LocalKeyProvider } from "../../functions/adapters/local-key-provider";
import type { SealedCredential } from "../../functions/core/ports";

const dir = () => mkdtempSync(join(tmpdir(), "cipher-"));
const secret = () => Buffer.from("xoxb-1234-5678-abcdefSECRET");

describe("envelope cipher with the local key provider", () => {
  const keyFile = join(dir(), "master.key");
  const cipher = new EnvelopeCipher(new LocalKeyProvider(keyFile));

  it("creates the master key with mode 0600", () => {
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
  });

  it("round-trips, with a fresh IV and data key each time, and no plaintext in the sealed form", async () => {
    const a = await cipher.seal(secret(), "ws_1");
    const b = await cipher.seal(secret(), "ws_1");
    expect(a.iv).not.toBe(b.iv);
    expect(a.wrapped_key).not.toBe(b.wrapped_key);
    expect(JSON.stringify(a)).not.toContain("SECRET");
    expect(Buffer.from(a.ciphertext, "base64").toString()).not.toContain("SECRET");
    expect((await cipher.open(a, "ws_1")).toString()).toBe(secret().toString());
  });

  it("detects tampering with the ciphertext, the tag, the IV or the wrapped key", async () => {
    const sealed = await cipher.seal(secret(), "ws_1");
    const flip = (b64: string) => {
      const buf = Buffer.from(b64, "base64");
      buf[0] = (buf[0] ?? 0) ^ 1;
      return buf.toString("base64");
    };
    for (const field of ["ciphertext", "tag", "iv", "wrapped_key"] as const) {
      await expect(cipher.open({ ...sealed, [field]: flip(sealed[field]) }, "ws_1")).rejects.toThrow();
    }
  });

  it("refuses a truncated tag, an IV of another length and an unknown version before deciphering", async () => {
    const sealed = await cipher.seal(secret(), "ws_1");
    const bytes = (b64: string, n: number) => Buffer.from(b64, "base64").subarray(0, n).toString("base64");
    // GCM without authTagLength accepts a 4-byte tag: 2^32 forgery work instead of 2^128.
    await expect(cipher.open({ ...sealed, tag: bytes(sealed.tag, 4) }, "ws_1")).rejects.toThrow(/tag must be 16 bytes/);
    await expect(cipher.open({ ...sealed, tag: bytes(sealed.tag, 15) }, "ws_1")).rejects.toThrow(/tag must be 16/);
    await expect(cipher.open({ ...sealed, iv: bytes(sealed.iv, 8) }, "ws_1")).rejects.toThrow(/iv must be 12 bytes/);
    const unknown = { ...sealed, v: 7 } as unknown as SealedCredential;
    await expect(cipher.open(unknown, "ws_1")).rejects.toThrow(/unknown sealed credential version 7/);
    await expect(cipher.open({ ...sealed, tag: `${sealed.tag}!` }, "ws_1")).rejects.toThrow(/tag is not base64/);
  });

  it("the local provider refuses a wrapped key with a truncated tag", async () => {
    const provider = new LocalKeyProvider(keyFile);
    const context = { workspace_id: "ws_1" };
    // A genuine wrap under the master key, cut to iv | 4-byte tag: GCM without authTagLength verifies it.
    const master = Buffer.from(readFileSync(keyFile, "utf8").trim(), "base64");
    const iv = Buffer.alloc(12, 1);
    const gcm = createCipheriv("aes-256-gcm", master, iv);
    gcm.setAAD(Buffer.from(JSON.stringify(Object.entries(context)), "utf8"));
    gcm.final();
    const short = Buffer.concat([iv, gcm.getAuthTag().subarray(0, 4)]);
    await expect(provider.decryptDataKey(short, context)).rejects.toThrow(/60 bytes/);
    const { plaintext, wrapped } = await provider.generateDataKey(context);
    expect((await provider.decryptDataKey(wrapped, context)).equals(plaintext)).toBe(true);
    await expect(provider.decryptDataKey(wrapped, { workspace_id: "ws_2" })).rejects.toThrow();
  });

  it("will not open another workspace's credential", async () => {
    const sealed = await cipher.seal(secret(), "ws_1");
    await expect(cipher.open(sealed, "ws_2")).rejects.toThrow();
  });

  it("reuses an existing master key and refuses a malformed one", async () => {
    const again = new EnvelopeCipher(new LocalKeyProvider(keyFile));
    const sealed = await cipher.seal(secret(), "ws_1");
    expect((await again.open(sealed, "ws_1")).toString()).toBe(secret().toString());
    const bad = join(dir(), "bad.key");
    writeFileSync(bad, "short", { mode: 0o600 });
    expect(() => new LocalKeyProvider(bad)).toThrow(/256-bit/);
  });
});

describe("KMS key provider", () => {
  it("asks KMS for an AES-256 data key bound to the workspace and unwraps with the same context", async () => {
    const kms = mockClient(KMSClient);
    const dataKey = Buffer.alloc(32, 7);
    // Fresh arrays per call, as the SDK returns; kept so the test can see the provider zeroed them.
    const handedOut: Uint8Array[] = [];
    const fresh = () => {
      const a = new Uint8Array(dataKey);
      handedOut.push(a);
      return a;
    };
    kms
      .on(GenerateDataKeyCommand)
      .callsFake(() => ({ Plaintext: fresh(), CiphertextBlob: new Uint8Array([1, 2, 3]), KeyId: "arn:key" }));
    kms.on(DecryptCommand).callsFake(() => ({ Plaintext: fresh() }));
    const cipher = new EnvelopeCipher(new KmsKeyProvider(new KMSClient({ region: "eu-west-1" }), "alias/notifier"));
    const sealed = await cipher.seal(secret(), "ws_9");
    expect(sealed.key_id).toBe("arn:key");
    expect((await cipher.open(sealed, "ws_9")).toString()).toBe(secret().toString());
    expect(handedOut).toHaveLength(2);
    expect(handedOut.every((a) => a.every((b) => b === 0))).toBe(true);
    const gen = kms.commandCalls(GenerateDataKeyCommand)[0]?.args[0].input;
    expect(gen).toEqual({ KeyId: "alias/notifier", KeySpec: "AES_256", EncryptionContext: { workspace_id: "ws_9" } });
    const dec = kms.commandCalls(DecryptCommand)[0]?.args[0].input;
    expect(dec?.EncryptionContext).toEqual({ workspace_id: "ws_9" });
    expect(Buffer.from(dec?.CiphertextBlob ?? []).toString("hex")).toBe("010203");
    kms.restore();
  });

  it("a key returned by KMS for another context does not open the credential (GCM additional data)", async () => {
    const kms = mockClient(KMSClient);
    const dataKey = Buffer.alloc(32, 9);
    kms
      .on(GenerateDataKeyCommand)
      .callsFake(() => ({ Plaintext: new Uint8Array(dataKey), CiphertextBlob: new Uint8Array([1]) }));
    kms.on(DecryptCommand).callsFake(() => ({ Plaintext: new Uint8Array(dataKey) }));
    const cipher = new EnvelopeCipher(new KmsKeyProvider(new KMSClient({ region: "eu-west-1" }), "k"));
    const sealed = await cipher.seal(secret(), "ws_a");
    await expect(cipher.open(sealed, "ws_b")).rejects.toThrow();
    kms.restore();
  });
});
