import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CachingKeyProvider, type DataKeyCacheLimits } from "../../functions/adapters/data-key-cache";
import { EnvelopeCipher } from "../../functions/adapters/envelope-cipher";
import { LocalKeyProvider } from "../../functions/adapters/local-key-provider";
import { DATA_KEY_CACHE } from "../../functions/core/operational";
import type { KeyProvider } from "../../functions/core/ports";

/** Stands in for KMS: counts unwraps and keeps every key it handed out, so a test can see it zeroed. */
class CountingKeys implements KeyProvider {
  unwraps: { wrapped: string; context: Record<string, string> }[] = [];
  handedOut: Buffer[] = [];
  failNext = false;

  async generateDataKey() {
    return { plaintext: Buffer.alloc(32, 7), wrapped: Buffer.from("wrapped-new"), keyId: "k" };
  }

  async decryptDataKey(wrapped: Buffer, context: Record<string, string>) {
    this.unwraps.push({ wrapped: wrapped.toString(), context });
    if (this.failNext) {
      this.failNext = false;
      throw new Error("AccessDeniedException");
    }
    // Derived from the request, so a test can tell which key came back.
    const key = Buffer.alloc(32, `${wrapped.toString()}|${context.workspace_id}`);
    this.handedOut.push(key);
    return key;
  }
}

const ws = (id: string) => ({ workspace_id: id });
const W1 = Buffer.from("wrapped-1");
const W2 = Buffer.from("wrapped-2");
const W3 = Buffer.from("wrapped-3");
const zeroed = (b: Buffer) => b.every((x) => x === 0);

let inner: CountingKeys;
const cache = (limits: Partial<DataKeyCacheLimits> = {}) =>
  new CachingKeyProvider(inner, { ...DATA_KEY_CACHE, ...limits });

beforeEach(() => {
  vi.useFakeTimers({ now: new Date("2026-12-01T10:00:00Z") });
  inner = new CountingKeys();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("data-key cache", () => {
  it("unwraps a credential's key once and hands every caller its own copy", async () => {
    const keys = cache();
    const a = await keys.decryptDataKey(W1, ws("ws_1"));
    a.fill(0); // what the cipher does after each open
    const b = await keys.decryptDataKey(W1, ws("ws_1"));
    expect(inner.unwraps).toHaveLength(1);
    expect(b).toEqual(Buffer.alloc(32, "wrapped-1|ws_1"));
    expect(b).not.toBe(inner.handedOut[0]);
  });

  it("lets opens that arrive together share one unwrap", async () => {
    const keys = cache();
    const opened = await Promise.all([1, 2, 3].map(() => keys.decryptDataKey(W1, ws("ws_1"))));
    expect(inner.unwraps).toHaveLength(1);
    expect(new Set(opened).size).toBe(3);
  });

  it("goes to KMS again once the key is 5 minutes old, and zeroes it then even with no open coming", async () => {
    const keys = cache();
    await keys.decryptDataKey(W1, ws("ws_1"));
    vi.advanceTimersByTime(DATA_KEY_CACHE.maxAgeMs - 1);
    await keys.decryptDataKey(W1, ws("ws_1"));
    expect(inner.unwraps).toHaveLength(1);
    expect(zeroed(inner.handedOut[0] as Buffer)).toBe(false);

    vi.advanceTimersByTime(1);
    expect(zeroed(inner.handedOut[0] as Buffer)).toBe(true);
    expect(keys.size).toBe(0);
    await keys.decryptDataKey(W1, ws("ws_1"));
    expect(inner.unwraps).toHaveLength(2);
  });

  it("goes to KMS again after the key's last allowed use, and zeroes the used-up key", async () => {
    const keys = cache({ maxUses: 3 });
    for (let i = 0; i < 3; i++) await keys.decryptDataKey(W1, ws("ws_1"));
    expect(inner.unwraps).toHaveLength(1);
    expect(zeroed(inner.handedOut[0] as Buffer)).toBe(true);
    await keys.decryptDataKey(W1, ws("ws_1"));
    expect(inner.unwraps).toHaveLength(2);
  });

  it("allows 1,000 uses per key by default", async () => {
    const keys = cache();
    for (let i = 0; i < 1000; i++) await keys.decryptDataKey(W1, ws("ws_1"));
    expect(inner.unwraps).toHaveLength(1);
    await keys.decryptDataKey(W1, ws("ws_1"));
    expect(inner.unwraps).toHaveLength(2);
  });

  it("holds at most `capacity` keys, evicting (and zeroing) the least recently used", async () => {
    const keys = cache({ capacity: 2 });
    await keys.decryptDataKey(W1, ws("ws_1"));
    await keys.decryptDataKey(W2, ws("ws_1"));
    await keys.decryptDataKey(W1, ws("ws_1")); // W1 is now the most recently used
    await keys.decryptDataKey(W3, ws("ws_1"));
    expect(keys.size).toBe(2);
    const [k1, k2] = inner.handedOut as [Buffer, Buffer];
    expect(zeroed(k2)).toBe(true);
    expect(zeroed(k1)).toBe(false);

    await keys.decryptDataKey(W1, ws("ws_1"));
    expect(inner.unwraps.map((u) => u.wrapped)).toEqual(["wrapped-1", "wrapped-2", "wrapped-3"]);
    await keys.decryptDataKey(W2, ws("ws_1"));
    expect(inner.unwraps.map((u) => u.wrapped)).toEqual(["wrapped-1", "wrapped-2", "wrapped-3", "wrapped-2"]);
  });

  it("never hits across workspaces or across wrapped keys: those go to KMS with their own context", async () => {
    const keys = cache();
    await keys.decryptDataKey(W1, ws("ws_1"));
    const other = await keys.decryptDataKey(W1, ws("ws_2"));
    await keys.decryptDataKey(W2, ws("ws_1"));
    expect(inner.unwraps).toEqual([
      { wrapped: "wrapped-1", context: ws("ws_1") },
      { wrapped: "wrapped-1", context: ws("ws_2") },
      { wrapped: "wrapped-2", context: ws("ws_1") },
    ]);
    expect(other).toEqual(Buffer.alloc(32, "wrapped-1|ws_2"));
  });

  it("caches no failure: a refused unwrap is asked again next time", async () => {
    const keys = cache();
    inner.failNext = true;
    await expect(keys.decryptDataKey(W1, ws("ws_1"))).rejects.toThrow("AccessDeniedException");
    await keys.decryptDataKey(W1, ws("ws_1"));
    expect(inner.unwraps).toHaveLength(2);
    expect(keys.size).toBe(1);
  });

  it("never caches a new data key: each seal gets its own from KMS", async () => {
    const keys = cache();
    const spy = vi.spyOn(inner, "generateDataKey");
    await keys.generateDataKey(ws("ws_1"));
    await keys.generateDataKey(ws("ws_1"));
    expect(spy).toHaveBeenCalledTimes(2);
    expect(keys.size).toBe(0);
  });

  it("zeroes every key it holds on clear()", async () => {
    const keys = cache();
    await keys.decryptDataKey(W1, ws("ws_1"));
    await keys.decryptDataKey(W2, ws("ws_2"));
    keys.clear();
    expect(inner.handedOut.every(zeroed)).toBe(true);
    expect(keys.size).toBe(0);
  });

  it("refuses limits that would make every entry unusable", () => {
    expect(() => cache({ maxAgeMs: 0 })).toThrow();
    expect(() => cache({ maxUses: 0 })).toThrow();
    expect(() => cache({ capacity: 0 })).toThrow();
  });
});

describe("data-key cache under the envelope cipher", () => {
  it("opens a credential many times with one unwrap, and still refuses another binding", async () => {
    const local = new LocalKeyProvider(join(mkdtempSync(join(tmpdir(), "dkc-")), "master.key"));
    const unwrap = vi.spyOn(local, "decryptDataKey");
    const cipher = new EnvelopeCipher(new CachingKeyProvider(local, DATA_KEY_CACHE));
    const binding = { workspace_id: "ws_1", method: "bot_token" as const, connection_id: "conn_1" };
    const sealed = await cipher.seal(Buffer.from("xoxb-cached-secret"), binding);

    for (let i = 0; i < 5; i++) expect((await cipher.open(sealed, binding)).toString()).toBe("xoxb-cached-secret");
    expect(unwrap).toHaveBeenCalledTimes(1);

    // Same workspace, another connection: the key is cached, but GCM's additional data still refuses it.
    await expect(cipher.open(sealed, { ...binding, connection_id: "conn_2" })).rejects.toThrow();
    // Another workspace: not a hit, so the local KMS stand-in checks the context and refuses.
    await expect(cipher.open(sealed, { ...binding, workspace_id: "ws_2" })).rejects.toThrow();
    expect(unwrap).toHaveBeenCalledTimes(2);
  });
});
