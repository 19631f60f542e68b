import { createHash, randomBytes } from "node:crypto";
import type { TokenRecord } from "./ports";

export const SCOPES = [
  "events:write",
  "integration:read",
  "integration:write",
  "notifications:read",
  "tokens:write",
] as const;
export type Scope = (typeof SCOPES)[number];

/** Who is calling, as the authorizer resolved it from the bearer token. */
export type Principal =
  | { kind: "admin"; tokenId: string }
  | { kind: "workspace"; tokenId: string; workspaceId: string; scopes: Scope[] }
  | { kind: "anonymous" };

/** 256 random bits; the prefix lets secret scanners recognise a leaked token. */
export const newToken = () => `mdl_${randomBytes(32).toString("base64url")}`;
/** Tokens are stored only as this hash; a lookup by hash needs no secret comparison. */
export const hashToken = (token: string) => createHash("sha256").update(token, "utf8").digest("hex");

const CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz";
let lastMs = 0;
let counter = 0;
/**
 * Sortable ids: 10 characters of millisecond time, 4 of a per-process counter (so ids made in one millisecond keep
 * their order), 10 random. Newest-first listings sort on them.
 */
export function newSortableId(prefix: string, now = Date.now()): string {
  if (now === lastMs) counter++;
  else {
    lastMs = now;
    counter = 0;
  }
  let time = "";
  for (let t = now, i = 0; i < 10; i++, t = Math.floor(t / 32)) time = CROCKFORD[t % 32] + time;
  let seq = "";
  for (let c = counter, i = 0; i < 4; i++, c = Math.floor(c / 32)) seq = CROCKFORD[c % 32] + seq;
  const rand = Array.from(randomBytes(10), (b) => CROCKFORD[b % 32]).join("");
  return `${prefix}_${time}${seq}${rand}`;
}

export const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString("base64url")}`;

/** What an id can look like; anything else cannot name a resource (not_found, and no lookup is made). */
export const ID_PATTERNS = {
  workspace: /^ws_[A-Za-z0-9_-]{16}$/,
  token: /^tok_[A-Za-z0-9_-]{1,40}$/,
  notification: /^ntf_[0-9a-z]{24}$/,
} as const;

/** A new bearer token and the record that stores it (only its hash); the token itself is shown once. */
export function issueToken(fields: Omit<TokenRecord, "id" | "hash" | "created_at"> & { id?: string }) {
  const token = newToken();
  const record: TokenRecord = {
    id: newId("tok"),
    ...fields,
    hash: hashToken(token),
    created_at: new Date().toISOString(),
  };
  return { token, record };
}
