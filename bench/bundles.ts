import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { buildSync } from "esbuild";
import { esbuildOptionsFor } from "../lib/bundling";

const root = fileURLToPath(new URL("..", import.meta.url));

export interface ColdStart {
  /** Wall-clock time of a fresh `node` process that loads the bundle and exits: median over the rounds. */
  wallMs: number;
  /** User + system CPU time of such a process (steadier than wall time on a shared machine): median. */
  cpuMs: number;
}

export interface BundleFigure {
  name: string;
  bytes: number;
  gzipBytes: number;
  sourceMapBytes: number;
  memoryMb: number;
  /** With the function's own NODE_OPTIONS (--enable-source-maps), as Lambda starts it. */
  cold: ColdStart;
  /** The same bundle without source maps. */
  coldWithoutSourceMaps: ColdStart;
}

/**
 * Parts every function (or the API) loads, each bundled alone the same way (bench/floors/): what each costs on its own
 * says how much of the target's budget is gone before the functions' own code. They overlap (the SDK imports Node's
 * https), so they do not add up.
 */
export const FLOORS = [
  { name: "an empty ES module", entry: "bench/floors/esm.ts" },
  {
    name: "Node's https, crypto, stream, zlib, fs, os (any HTTPS client's built-ins)",
    entry: "bench/floors/node-https.ts",
  },
  { name: "Powertools logger and metrics (every function)", entry: "bench/floors/powertools.ts" },
  { name: "classic zod with the event schemas (the API)", entry: "bench/floors/zod-events.ts" },
  { name: "the AWS SDK's DynamoDB client and document client (every function)", entry: "bench/floors/dynamodb.ts" },
] as const;

export interface BundleReport {
  rounds: number;
  bare: ColdStart;
  /** FLOORS, in order, each with its bundle's size. */
  floors: (ColdStart & { name: string; bytes: number })[];
  functions: BundleFigure[];
  loadAverage: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

export interface Variant {
  args: string[];
  env: Record<string, string>;
}

/** A preload that prints the process's own CPU time at exit (user + system, all threads). */
export function writeCpuReporter(dir: string): string {
  const file = join(dir, "cpu-reporter.cjs");
  writeFileSync(
    file,
    'process.on("exit", () => { const u = process.cpuUsage(); process.stderr.write(`\\nBENCH_CPU_MS ${(u.user + u.system) / 1000}\\n`); });',
  );
  return file;
}

/** What Lambda's environment provides to every function, as far as loading a bundle is concerned. */
export const LAMBDA_BASE_ENV = {
  PATH: process.env.PATH ?? "",
  AWS_REGION: "us-east-1",
  // Lambda runs Node 22, where the SDK does not print this warning; on an older local Node it would cost time.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
};

/** Wall time of one fresh process; with `cpu`, its CPU time as the process itself reports it at exit. */
function runOnce(v: Variant, cpuReporter?: string): number {
  const args = cpuReporter ? ["-r", cpuReporter, ...v.args] : v.args;
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, args, { env: v.env, encoding: "utf8" });
  const wall = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0) throw new Error(`node ${args.join(" ")} failed: ${run.stderr}`);
  if (!cpuReporter) return wall;
  return Number(/BENCH_CPU_MS (\d+(?:\.\d+)?)/.exec(run.stderr)?.[1] ?? Number.NaN);
}

/** Every variant in turn, round after round, so a change in the machine's load reaches them all alike. */
export function coldStarts(variants: Variant[], rounds: number, cpuReporter: string): ColdStart[] {
  const wall = variants.map(() => [] as number[]);
  const cpu = variants.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++)
    variants.forEach((v, i) => {
      wall[i]?.push(runOnce(v));
      cpu[i]?.push(runOnce(v, cpuReporter));
    });
  return variants.map((_, i) => ({ wallMs: median(wall[i] ?? []), cpuMs: median(cpu[i] ?? []) }));
}

/**
 * The bundles exactly as deployed: synthesizes the prod stage (the CDK's own esbuild bundling), then measures each
 * function's `index.mjs` and its cold start: a fresh Node process that loads the bundle and exits, with the
 * function's NODE_OPTIONS and environment from the template, against a bare `node -e 0` measured in the same rounds.
 */
export function measureBundles(rounds = Number(process.env.BENCH_COLD_ROUNDS ?? 15)): BundleReport {
  const out = mkdtempSync(join(tmpdir(), "bench-synth-"));
  const synth = spawnSync("npx", ["cdk", "synth", "-c", "stage=prod", "--quiet", "-o", out], {
    cwd: root,
    encoding: "utf8",
  });
  if (synth.status !== 0) throw new Error(`cdk synth failed:\n${synth.stderr}`);
  const template = JSON.parse(readFileSync(join(out, "MedullaSlackNotifier-prod-Stateless.template.json"), "utf8")) as {
    Resources: Record<
      string,
      {
        Type: string;
        Metadata?: Record<string, string>;
        Properties?: { MemorySize?: number; Environment?: { Variables?: Record<string, unknown> } };
      }
    >;
  };

  const cpuReporter = writeCpuReporter(out);
  const baseEnv = LAMBDA_BASE_ENV;
  // Stand-ins for the template's references, which are resolved only at deploy.
  const functionEnv = (vars: Record<string, unknown>) => ({
    ...baseEnv,
    ...Object.fromEntries(
      Object.entries(vars).map(([k, v]) => [k, typeof v === "string" ? v : `bench-${k.toLowerCase()}`]),
    ),
  });

  const floorFiles = FLOORS.map((f) => {
    const outfile = join(out, `floor-${f.entry.split("/").pop()?.replace(/\.ts$/, "")}.mjs`);
    buildSync({ ...esbuildOptionsFor(join(root, f.entry)), outfile, logLevel: "silent" });
    return outfile;
  });

  const functions: Omit<BundleFigure, "cold" | "coldWithoutSourceMaps">[] = [];
  const variants: Variant[] = [
    { args: ["-e", "0"], env: baseEnv },
    ...floorFiles.map((file) => ({ args: [file], env: baseEnv })),
  ];
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== "AWS::Lambda::Function") continue;
    const name = (resource.Metadata?.["aws:cdk:path"] ?? "").split("/")[1]?.toLowerCase() ?? "?";
    const file = join(out, resource.Metadata?.["aws:asset:path"] ?? "", "index.mjs");
    const env = functionEnv(resource.Properties?.Environment?.Variables ?? {});
    const { NODE_OPTIONS: _options, ...withoutOptions } = env as Record<string, string>;
    variants.push({ args: [file], env }, { args: [file], env: withoutOptions });
    functions.push({
      name,
      bytes: statSync(file).size,
      gzipBytes: gzipSync(readFileSync(file)).length,
      sourceMapBytes: statSync(`${file}.map`).size,
      memoryMb: resource.Properties?.MemorySize ?? 128,
    });
  }
  const measured = coldStarts(variants, rounds, cpuReporter);
  const at = (i: number) => measured[i] ?? { wallMs: Number.NaN, cpuMs: Number.NaN };
  const first = 1 + FLOORS.length;
  return {
    rounds,
    bare: at(0),
    floors: FLOORS.map((f, i) => ({ ...at(1 + i), name: f.name, bytes: statSync(floorFiles[i] ?? "").size })),
    functions: functions.map((f, i) => ({
      ...f,
      cold: at(first + 2 * i),
      coldWithoutSourceMaps: at(first + 1 + 2 * i),
    })),
    loadAverage: Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]),
  };
}

/** The cold-start target the issue sets: at most this many times a bare Node process. */
export const COLD_START_TARGET_RATIO = 2.5;

export function printBundles(report: BundleReport): void {
  const kib = (b: number) => (b / 1024).toFixed(0);
  const ratio = (c: ColdStart, field: keyof ColdStart) => (c[field] / report.bare[field]).toFixed(2);
  console.log(
    `\nCold start of each bundle as the CDK builds it (prod stage): a fresh node process that loads it and exits, with the function's NODE_OPTIONS, against a bare \`node -e 0\` in the same rounds; median of ${report.rounds} rounds; load average ${report.loadAverage}. Bare node: ${report.bare.wallMs.toFixed(0)} ms wall, ${report.bare.cpuMs.toFixed(0)} ms CPU.\n`,
  );
  console.log(
    "| function | bundle KiB | gzip KiB | source map KiB | cold start ms (wall) | × bare (wall) | × bare (CPU) | × bare without source maps (wall / CPU) |",
  );
  console.log("|---|---|---|---|---|---|---|---|");
  for (const f of report.functions)
    console.log(
      `| ${f.name} | ${kib(f.bytes)} | ${kib(f.gzipBytes)} | ${kib(f.sourceMapBytes)} | ${f.cold.wallMs.toFixed(0)} | ${ratio(f.cold, "wallMs")} | ${ratio(f.cold, "cpuMs")} | ${ratio(f.coldWithoutSourceMaps, "wallMs")} / ${ratio(f.coldWithoutSourceMaps, "cpuMs")} |`,
    );
  const over = report.functions.filter((f) => f.cold.wallMs / report.bare.wallMs > COLD_START_TARGET_RATIO);
  console.log(
    over.length
      ? `\nOver the ${COLD_START_TARGET_RATIO}× target: ${over.map((f) => f.name).join(", ")}.`
      : `\nEvery function within the ${COLD_START_TARGET_RATIO}× target.`,
  );
  const budgetMs = (COLD_START_TARGET_RATIO - 1) * report.bare.wallMs;
  console.log(
    `\nThe parts, each bundled alone the same way and measured in the same rounds (they overlap: the SDK imports Node's https). The target leaves ${budgetMs.toFixed(0)} ms over bare node for everything a function loads.\n`,
  );
  console.log("| part | bundle KiB | cold start ms (wall) | × bare (wall) | × bare (CPU) | ms over bare node |");
  console.log("|---|---|---|---|---|---|");
  for (const f of report.floors)
    console.log(
      `| ${f.name} | ${kib(f.bytes)} | ${f.wallMs.toFixed(0)} | ${ratio(f, "wallMs")} | ${ratio(f, "cpuMs")} | ${(f.wallMs - report.bare.wallMs).toFixed(0)} |`,
    );
}
