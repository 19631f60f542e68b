/** Local state under DATA_DIR: the directory itself, DynamoDB Local's access key, small JSON files written atomically. */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Creates `dir` (and its parents) private to this user, and tightens it if it exists with wider permissions. */
export function preparePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

/** Replaces `file` in one step (write beside it, then rename), so a crash leaves the old content or the new, never half. */
export function writeFileAtomic(file: string, content: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, content, { mode: 0o600 });
  renameSync(temp, file);
}

/** The JSON in `file`, or undefined when there is none or it does not parse. */
export function readJsonFile(file: string): unknown {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
}

/**
 * Who the local stack is to DynamoDB Local. Without -sharedDb it keeps one database per access key id and region, so
 * a client that does not know this key id sees none of the stack's tables.
 */
export interface LocalAwsCredentials {
  accessKeyId: string;
  region: string;
}

/** A fresh key id: 128 random bits, letters and digits only (DynamoDB Local 2+ refuses any other character). */
export const newLocalCredentials = (): LocalAwsCredentials => ({
  accessKeyId: `local${randomBytes(16).toString("hex")}`,
  region: "us-east-1",
});

const isCredentials = (v: unknown): v is LocalAwsCredentials =>
  typeof v === "object" &&
  v !== null &&
  typeof (v as LocalAwsCredentials).accessKeyId === "string" &&
  /^[A-Za-z0-9]{16,128}$/.test((v as LocalAwsCredentials).accessKeyId) &&
  typeof (v as LocalAwsCredentials).region === "string" &&
  /^[a-z0-9-]{1,32}$/.test((v as LocalAwsCredentials).region);

/** DATA_DIR/dynamodb-local.json: made once per DATA_DIR (mode 0600), then reused so the same database opens again. */
export function localCredentialsFor(dataDir: string): LocalAwsCredentials {
  const file = join(dataDir, "dynamodb-local.json");
  const stored = readJsonFile(file);
  if (isCredentials(stored)) {
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    return { accessKeyId: stored.accessKeyId, region: stored.region };
  }
  if (existsSync(file)) throw new Error(`${file} is not {"accessKeyId","region"}: fix or remove it`);
  const created = newLocalCredentials();
  writeFileAtomic(file, `${JSON.stringify(created)}\n`);
  return created;
}
