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
import type { CredentialBinding, SealedCredential } from "../../functions/core/ports";

const dir = () => mkdtempSync(join(tmpdir(), "cipher-"));
const secret = () => Buffer.from("xoxb-1234-5678-abcdefSECRET");
const bound = (workspace_id: string, rest: Partial<CredentialBinding> = {}): CredentialBinding => ({
  workspace_id,
  method: "bot_token",
  connection_id: "conn_1",
  ...rest,
});

describe("envelope cipher with the local key provider", () => {
  const keyFile = join(dir(), "master.key");
  const cipher = new EnvelopeCipher(new LocalKeyProvider(keyFile));

  it("creates the master key with mode 0600", () => {
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
  });

  it("round-trips, with a fresh IV and data key each time, and no plaintext in the sealed form", async () => {
    const a = await cipher.seal(secret(), bound("ws_1"));
    const b = await cipher.seal(secret(), bound("ws_1"));
    expect(a.iv).not.toBe(b.iv);
    expect(a.wrapped_key).not.toBe(b.wrapped_key);
    expect(JSON.stringify(a)).not.toContain("SECRET");
    expect(Buffer.from(a.ciphertext, "base64").toString()).not.toContain("SECRET");
    expect((await cipher.open(a, bound("ws_1"))).toString()).toBe(secret().toString());
  });

  it("detects tampering with the ciphertext, the tag, the IV or the wrapped key", async () => {
    const sealed = await cipher.seal(secret(), bound("ws_1"));
    const flip = (b64: string) => {
      const buf = Buffer.from(b64, "base64");
      buf[0] = (buf[0] ?? 0) ^ 1;
      return buf.toString("base64");
    };
    for (const field of ["ciphertext", "tag", "iv", "wrapped_key"] as const) {
      await expect(cipher.open({ ...sealed, [field]: flip(sealed[field]) }, bound("ws_1"))).rejects.toThrow();
    }
  });

  it("refuses a truncated tag, an IV of another length and an unknown version before deciphering", async () => {
    const sealed = await cipher.seal(secret(), bound("ws_1"));
    const bytes = (b64: string, n: number) => Buffer.from(b64, "base64").subarray(0, n).toString("base64");
    // GCM without authTagLength accepts a 4-byte tag: 2^32 forgery work instead of 2^128.
    await expect(cipher.open({ ...sealed, tag: bytes(sealed.tag, 4) }, bound("ws_1"))).rejects.toThrow(
      /tag must be 16 bytes/,
    );
    await expect(cipher.open({ ...sealed, tag: bytes(sealed.tag, 15) }, bound("ws_1"))).rejects.toThrow(
      /tag must be 16/,
    );
    await expect(cipher.open({ ...sealed, iv: bytes(sealed.iv, 8) }, bound("ws_1"))).rejects.toThrow(
      /iv must be 12 bytes/,
    );
    const unknown = { ...sealed, v: 7 } as unknown as SealedCredential;
    await expect(cipher.open(unknown, bound("ws_1"))).rejects.toThrow(/unknown sealed credential version 7/);
    await expect(cipher.open({ ...sealed, tag: `${sealed.tag}!` }, bound("ws_1"))).rejects.toThrow(/tag is not base64/);
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
    const sealed = await cipher.seal(secret(), bound("ws_1"));
    await expect(cipher.open(sealed, bound("ws_2"))).rejects.toThrow();
  });

  it("is bound to the method and the connection: a sealed credential moved to another does not open", async () => {
    const sealed = await cipher.seal(secret(), bound("ws_1"));
    expect(sealed.v).toBe(2);
    await expect(cipher.open(sealed, bound("ws_1", { method: "webhook" }))).rejects.toThrow();
    await expect(cipher.open(sealed, bound("ws_1", { method: "user_token" }))).rejects.toThrow();
    await expect(cipher.open(sealed, bound("ws_1", { connection_id: "conn_2" }))).rejects.toThrow();
    expect((await cipher.open(sealed, bound("ws_1"))).toString()).toBe(secret().toString());
  });

  it("still opens a version 1 credential under its own workspace only, whatever method and connection", async () => {
    // Sealed as version 1 was: the workspace id as both the encryption context and GCM's additional data.
    const provider = new LocalKeyProvider(keyFile);
    const { plaintext: key, wrapped } = await provider.generateDataKey({ workspace_id: "ws_1" });
    const iv = Buffer.alloc(12, 3);
    const gcm = createCipheriv("aes-256-gcm", key, iv);
    gcm.setAAD(Buffer.from("ws_1", "utf8"));
    const body = Buffer.concat([gcm.update(secret()), gcm.final()]);
    key.fill(0);
    const v1: SealedCredential = {
      v: 1,
      key_id: "local",
      wrapped_key: wrapped.toString("base64"),
      iv: iv.toString("base64"),
      tag: gcm.getAuthTag().toString("base64"),
      ciphertext: body.toString("base64"),
    };
    expect((await cipher.open(v1, bound("ws_1", { connection_id: "any" }))).toString()).toBe(secret().toString());
    await expect(cipher.open(v1, bound("ws_2"))).rejects.toThrow();
    await expect(
      cipher.open({ ...v1, tag: Buffer.from(v1.tag, "base64").subarray(0, 4).toString("base64") }, bound("ws_1")),
    ).rejects.toThrow(/16 bytes/);
  });

  it("reuses an existing master key and refuses a malformed one", async () => {
    const again = new EnvelopeCipher(new LocalKeyProvider(keyFile));
    const sealed = await cipher.seal(secret(), bound("ws_1"));
    expect((await again.open(sealed, bound("ws_1"))).toString()).toBe(secret().toString());
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
    const sealed = await cipher.seal(secret(), bound("ws_9"));
    expect(sealed.key_id).toBe("arn:key");
    expect((await cipher.open(sealed, bound("ws_9"))).toString()).toBe(secret().toString());
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
    const sealed = await cipher.seal(secret(), bound("ws_a"));
    await expect(cipher.open(sealed, bound("ws_b"))).rejects.toThrow();
    kms.restore();
  });
});
