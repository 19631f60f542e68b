/**
 * `npx tsx bench/cold-compare.ts <git-ref>`: the cold start of each function's bundle at <git-ref> against the working
 * tree's, in the same rounds (so the machine's load reaches both alike). Both are built with the CDK's esbuild options
 * (lib/bundling.ts, source maps on) and started with --enable-source-maps, as the functions run.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSync } from "esbuild";
import { esbuildOptionsFor } from "../lib/bundling";
import { coldStarts, LAMBDA_BASE_ENV, type Variant, writeCpuReporter } from "./bundles";

const root = fileURLToPath(new URL("..", import.meta.url));
const ref = process.argv[2];
if (!ref) {
  console.error("usage: npx tsx bench/cold-compare.ts <git-ref>");
  process.exit(2);
}
const rounds = Number(process.env.BENCH_COLD_ROUNDS ?? 15);
const FUNCTIONS = ["authorizer", "api", "delivery"] as const;

// Inside the repository, so the other tree's imports resolve to the same node_modules.
const other = join(root, ".bench", `compare-${ref.replace(/[^\w.-]/g, "_")}`);
rmSync(other, { recursive: true, force: true });
mkdirSync(other, { recursive: true });
execFileSync("sh", ["-c", `git archive ${JSON.stringify(ref)} functions | tar -x -C ${JSON.stringify(other)}`], {
  cwd: root,
});
// The console's assets module is built, not committed (console/build.ts): the working tree's stands in for the ref's.
const ASSETS = "functions/api/console/assets.generated.js";
copyFileSync(join(root, ASSETS), join(other, ASSETS));
const out = mkdtempSync(join(tmpdir(), "bench-compare-"));
const env = {
  ...LAMBDA_BASE_ENV,
  NODE_OPTIONS: "--enable-source-maps",
  TABLE_NAME: "bench-table",
  KMS_KEY_ID: "bench-key",
  POWERTOOLS_METRICS_NAMESPACE: "MedullaSlackNotifier",
};
const bundles = FUNCTIONS.flatMap((fn) =>
  [
    { tree: ref, dir: other },
    { tree: "working tree", dir: root },
  ].map(({ tree, dir }) => {
    const outfile = join(out, tree === ref ? "ref" : "now", fn, "index.mjs");
    buildSync({
      ...esbuildOptionsFor(join(dir, "functions", fn, "handler.ts")),
      sourcemap: true,
      outfile,
      logLevel: "silent",
    });
    return { fn, tree, outfile };
  }),
);
const variants: Variant[] = [
  { args: ["-e", "0"], env: LAMBDA_BASE_ENV },
  ...bundles.map((b) => ({ args: [b.outfile], env })),
];
const measured = coldStarts(variants, rounds, writeCpuReporter(out));
const bare = measured[0] as { wallMs: number; cpuMs: number };
console.log(
  `Cold start, median of ${rounds} rounds; bare \`node -e 0\` ${bare.wallMs.toFixed(0)} ms wall, ${bare.cpuMs.toFixed(0)} ms CPU.\n`,
);
console.log("| function | tree | bundle KiB | wall ms | × bare (wall) | × bare (CPU) |");
console.log("|---|---|---|---|---|---|");
bundles.forEach((b, i) => {
  const m = measured[i + 1] as { wallMs: number; cpuMs: number };
  console.log(
    `| ${b.fn} | ${b.tree} | ${(statSync(b.outfile).size / 1024).toFixed(0)} | ${m.wallMs.toFixed(0)} | ${(m.wallMs / bare.wallMs).toFixed(2)} | ${(m.cpuMs / bare.cpuMs).toFixed(2)} |`,
  );
});
rmSync(other, { recursive: true, force: true });
