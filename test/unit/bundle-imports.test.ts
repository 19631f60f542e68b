import { fileURLToPath } from "node:url";
import { build, type Metafile } from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";
import { buildConsole } from "../../console/build";
import { esbuildOptionsFor } from "../../lib/bundling";

const root = fileURLToPath(new URL("../..", import.meta.url));
type Fn = "authorizer" | "api" | "delivery";

/** What one function's bundle holds, and what of it runs at import (reached from the entry by static imports only). */
interface BundleGraph {
  inBundle: string[];
  loadedAtImport: string[];
}

/**
 * Builds the function as the CDK does (same esbuild options, lib/bundling.ts) and walks esbuild's metafile: a module
 * reached through a dynamic import() is inlined in the same file (the CDK bundles without code splitting) but
 * evaluated only when that import runs, so it is in the bundle without being loaded at import.
 */
async function graphOf(fn: Fn): Promise<BundleGraph> {
  const result = await build({
    ...esbuildOptionsFor(`${root}functions/${fn}/handler.ts`),
    absWorkingDir: root,
    outfile: `${fn}.mjs`,
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const meta: Metafile = result.metafile;
  const output = Object.values(meta.outputs)[0];
  if (!output?.entryPoint) throw new Error(`no output for ${fn}`);
  const emitted = new Set(Object.entries(output.inputs).flatMap(([p, i]) => (i.bytesInOutput > 0 ? [p] : [])));
  const seen = new Set<string>();
  const queue = [output.entryPoint];
  while (queue.length) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const imp of meta.inputs[file]?.imports ?? [])
      if (!imp.external && (imp.kind === "import-statement" || imp.kind === "require-call")) queue.push(imp.path);
  }
  return { inBundle: [...emitted], loadedAtImport: [...seen].filter((p) => emitted.has(p)) };
}

const CLIENT = {
  dynamodb: "node_modules/@aws-sdk/client-dynamodb/",
  kms: "node_modules/@aws-sdk/client-kms/",
  sqs: "node_modules/@aws-sdk/client-sqs/",
  slack: "node_modules/@slack/",
  /** The classic zod API: most of what the authorizer and delivery bundles shed (README, "Cold starts"). */
  zodClassic: "node_modules/zod/v4/classic/",
};
const has = (files: string[], prefix: string) => files.some((f) => f.includes(prefix));

const graphs = {} as Record<Fn, BundleGraph>;
beforeAll(async () => {
  for (const fn of ["authorizer", "api", "delivery"] as const) graphs[fn] = await graphOf(fn);
}, 60_000);

describe("each function loads only the clients its own routes use", () => {
  it("the authorizer holds DynamoDB and nothing of KMS, SQS, Slack or classic zod", () => {
    const { inBundle, loadedAtImport } = graphs.authorizer;
    expect(has(loadedAtImport, CLIENT.dynamodb)).toBe(true);
    for (const other of [CLIENT.kms, CLIENT.sqs, CLIENT.slack, CLIENT.zodClassic])
      expect(has(inBundle, other), `${other} in the authorizer bundle`).toBe(false);
  });

  it("the API holds no SQS nor the Slack SDK (delivery posts), and loads KMS only through connect's dynamic import", () => {
    const { inBundle, loadedAtImport } = graphs.api;
    expect(has(loadedAtImport, CLIENT.dynamodb)).toBe(true);
    expect(has(inBundle, CLIENT.sqs)).toBe(false);
    expect(has(inBundle, CLIENT.slack), "the Slack SDK in the API bundle").toBe(false);
    expect(has(inBundle, CLIENT.kms)).toBe(true);
    expect(has(loadedAtImport, CLIENT.kms), "KMS reached by a static import from the API's entry").toBe(false);
  });

  it("the delivery function loads DynamoDB, KMS, SQS and Slack at import, and no classic zod", () => {
    const { inBundle, loadedAtImport } = graphs.delivery;
    for (const client of [CLIENT.dynamodb, CLIENT.kms, CLIENT.sqs, CLIENT.slack])
      expect(has(loadedAtImport, client), client).toBe(true);
    expect(has(inBundle, CLIENT.zodClassic), `${CLIENT.zodClassic} in the delivery bundle`).toBe(false);
  });
});

describe("the SDK's credentials in each bundle", () => {
  /** The default chain's providers other than the environment's, and the SSO client they bring. */
  const CHAIN = [
    "node_modules/@aws-sdk/credential-provider-node/",
    "node_modules/@aws-sdk/credential-provider-ini/",
    "node_modules/@aws-sdk/credential-provider-sso/",
    "node_modules/@aws-sdk/credential-provider-process/",
    "node_modules/@aws-sdk/credential-provider-web-identity/",
    "node_modules/@aws-sdk/credential-provider-http/",
    "node_modules/@aws-sdk/nested-clients/",
  ];

  it.each(["authorizer", "api", "delivery"] as const)(
    "%s: the environment's provider (Lambda's), and none of the rest of the default chain",
    (fn) => {
      const { inBundle, loadedAtImport } = graphs[fn];
      expect(has(loadedAtImport, "node_modules/@aws-sdk/credential-provider-env/")).toBe(true);
      for (const provider of CHAIN) expect(has(inBundle, provider), `${provider} in the ${fn} bundle`).toBe(false);
    },
  );
});

describe("the console in the API's bundle", () => {
  it("carries every built file of the console, evaluated only on a console request", async () => {
    const { inBundle, loadedAtImport } = graphs.api;
    const module = "functions/api/console/assets.generated.js";
    expect(has(inBundle, module)).toBe(true);
    expect(has(loadedAtImport, module), "the console's files evaluated at every cold start").toBe(false);
    const result = await build({
      ...esbuildOptionsFor(`${root}functions/api/handler.ts`),
      absWorkingDir: root,
      outfile: "api.mjs",
      write: false,
      logLevel: "silent",
    });
    const bundle = result.outputFiles[0]?.text ?? "";
    // The files of the same build npm start and the CDK make (console/build.ts), under their hashed names.
    const assets = buildConsole();
    expect(assets.map((a) => a.path).filter((path) => !bundle.includes(path))).toEqual([]);
    expect(assets.some((a) => a.path.endsWith(".js")) && assets.some((a) => a.path.endsWith(".css"))).toBe(true);
  });
});
