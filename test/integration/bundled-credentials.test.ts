import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { esbuildOptionsFor } from "../../lib/bundling";

// A client bundled as the functions are (lib/bundling.ts: the SDK's credential chain replaced by its environment
// provider), run against the test run's DynamoDB Local: it signs with what Lambda puts in the environment, and it
// looks nowhere else.
const root = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "bundled-credentials-"));
const bundle = join(dir, "list-tables.mjs");

beforeAll(async () => {
  await build({
    ...esbuildOptionsFor(""),
    entryPoints: undefined,
    stdin: {
      contents: `
        import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
        const client = new DynamoDBClient({ endpoint: process.env.ENDPOINT });
        try {
          const out = await client.send(new ListTablesCommand({}));
          console.log(JSON.stringify({ tables: out.TableNames ?? [] }));
        } catch (err) {
          console.log(JSON.stringify({ error: err.message }));
        }`,
      resolveDir: root,
      loader: "ts",
    },
    outfile: bundle,
    logLevel: "silent",
  });
}, 60_000);

function run(env: Record<string, string>): { tables?: string[]; error?: string } {
  // A shared credentials file and a profile the SDK's full chain would read: the bundle must not.
  const home = mkdtempSync(join(dir, "home-"));
  writeFileSync(
    join(home, "credentials"),
    `[default]\naws_access_key_id = ${inject("awsCredentials").accessKeyId}\naws_secret_access_key = x\n`,
  );
  const out = spawnSync(process.execPath, [bundle], {
    env: {
      PATH: process.env.PATH ?? "",
      AWS_REGION: "us-east-1",
      AWS_SHARED_CREDENTIALS_FILE: join(home, "credentials"),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      ENDPOINT: inject("dynamodbEndpoint"),
      ...env,
    },
    encoding: "utf8",
  });
  expect(out.status, out.stderr).toBe(0);
  return JSON.parse(out.stdout.trim().split("\n").pop() ?? "{}");
}

describe("a function bundle's AWS credentials", () => {
  it("come from the environment, as Lambda provides them", () => {
    const result = run({
      AWS_ACCESS_KEY_ID: inject("awsCredentials").accessKeyId,
      AWS_SECRET_ACCESS_KEY: "local",
      AWS_SESSION_TOKEN: "session",
    });
    expect(result.error).toBeUndefined();
    expect(Array.isArray(result.tables)).toBe(true);
  });

  it("come from nowhere else: without them in the environment the call fails, whatever files say", () => {
    expect(run({}).error).toMatch(/environment variable credentials/);
  });
});
