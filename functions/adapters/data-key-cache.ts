import { createHash } from "node:crypto";
import type { KeyProvider } from "../core/ports";

export interface DataKeyCacheLimits {
  /** An unwrapped key is dropped (and zeroed) this long after KMS returned it, used or not. */
  maxAgeMs: number;
  /** ... or after this many opens, the one that fetched it included. */
  maxUses: number;
  /** At most this many keys are held; beyond it the least recently used goes. */
  capacity: number;
}

interface Entry {
  /** The only copy this cache holds; every caller gets its own copy, which the cipher zeroes after use. */
  key: Buffer;
  expiresAt: number;
  uses: number;
}

/**
 * One wrapped key under one encryption context. Both are hashed, so a different wrapped key, or the same one under
 * another workspace's context, can never hit: that request goes to KMS, which checks the context as it always does.
 */
function entryId(wrapped: Buffer, context: Record<string, string>): string {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(wrapped.length);
  const canonical = JSON.stringify(Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return createHash("sha256").update(length).update(wrapped).update(canonical, "utf8").digest("hex");
}

/**
 * Keeps unwrapped data keys in memory for a bounded time and number of uses, the AWS Encryption SDK's caching
 * cryptographic materials manager pattern (max age, max messages, an LRU capacity bound), so that the delivery
 * function asks KMS once per credential per window instead of once per notification. It holds data keys only, never
 * a credential: the cipher still opens the credential per post and zeroes it after. New data keys (seal) are never
 * cached: every credential gets its own.
 */
export class CachingKeyProvider implements KeyProvider {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly inner: KeyProvider,
    private readonly limits: DataKeyCacheLimits,
  ) {
    // Each would make every entry unusable the moment it is stored, and decryptDataKey would ask KMS forever.
    if (!(limits.maxAgeMs > 0 && limits.maxUses >= 1 && limits.capacity >= 1))
      throw new Error("data-key cache limits must be positive");
  }

  generateDataKey(context: Record<string, string>) {
    return this.inner.generateDataKey(context);
  }

  async decryptDataKey(wrapped: Buffer, context: Record<string, string>): Promise<Buffer> {
    const id = entryId(wrapped, context);
    for (;;) {
      const copy = this.take(id);
      if (copy) return copy;
      // Opens of one credential that arrive together (channels of one workspace in one batch) share one KMS call.
      let load = this.loading.get(id);
      if (!load) {
        load = this.load(id, wrapped, context).finally(() => this.loading.delete(id));
        this.loading.set(id, load);
      }
      await load;
      // Loaded: take a use on the next turn. Only if other callers used it up in between is it loaded again.
    }
  }

  /** How many keys are held now. */
  get size(): number {
    this.sweep();
    return this.entries.size;
  }

  /** Zeroes and drops every key. */
  clear(): void {
    for (const id of [...this.entries.keys()]) this.evict(id);
  }

  private take(id: string): Buffer | undefined {
    this.sweep();
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    entry.uses++;
    const copy = Buffer.alloc(entry.key.length);
    entry.key.copy(copy);
    if (entry.uses >= this.limits.maxUses) this.evict(id);
    else {
      // Most recently used last, so capacity evicts from the front.
      this.entries.delete(id);
      this.entries.set(id, entry);
    }
    return copy;
  }

  private async load(id: string, wrapped: Buffer, context: Record<string, string>) {
    const key = await this.inner.decryptDataKey(wrapped, context);
    if (this.entries.has(id)) this.evict(id);
    this.entries.set(id, { key, expiresAt: Date.now() + this.limits.maxAgeMs, uses: 0 });
    while (this.entries.size > this.limits.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.evict(oldest);
    }
    this.schedule();
  }

  private evict(id: string) {
    const entry = this.entries.get(id);
    if (!entry) return;
    entry.key.fill(0);
    this.entries.delete(id);
    if (this.entries.size === 0) this.schedule();
  }

  private sweep() {
    const now = Date.now();
    for (const [id, entry] of this.entries) if (entry.expiresAt <= now) this.evict(id);
  }

  /**
   * A timer for the earliest expiry, so a key is zeroed at its age limit even when no open comes along to sweep it;
   * unref'd, so it never keeps a process alive. A frozen Lambda sandbox runs no timer: there the key is zeroed on the
   * first turn after thaw, and every open sweeps expired keys first, so none is ever used past its age.
   */
  private schedule() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    let next = Number.POSITIVE_INFINITY;
    for (const entry of this.entries.values()) next = Math.min(next, entry.expiresAt);
    if (next === Number.POSITIVE_INFINITY) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.sweep();
        this.schedule();
      },
      Math.max(0, next - Date.now()),
    );
    this.timer.unref();
  }
}
