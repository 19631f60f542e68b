import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

export interface BundleFigure {
  name: string;
  bytes: number;
  gzipBytes: number;
  coldImportMs: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/**
 * The bundles exactly as deployed: synthesizes the dev stage (the CDK's own esbuild bundling), then for each function
 * measures its `index.mjs` and times a cold `import()` of it in a fresh Node process (median of 5).
 */
export function measureBundles(): BundleFigure[] {
  const out = mkdtempSync(join(tmpdir(), "bench-synth-"));
  const synth = spawnSync("npx", ["cdk", "synth", "-c", "stage=dev", "--quiet", "-o", out], { encoding: "utf8" });
  if (synth.status !== 0) throw new Error(`cdk synth failed:\n${synth.stderr}`);
  const template = JSON.parse(readFileSync(join(out, "MedullaSlackNotifier-dev-Stateless.template.json"), "utf8")) as {
    Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
  };
  const figures: BundleFigure[] = [];
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== "AWS::Lambda::Function") continue;
    const name = (resource.Metadata?.["aws:cdk:path"] ?? "").split("/")[1] ?? "?";
    const file = join(out, resource.Metadata?.["aws:asset:path"] ?? "", "index.mjs");
    const script = join(out, `${name}-import.mjs`);
    writeFileSync(
      script,
      `const t = performance.now(); await import(${JSON.stringify(file)}); console.log(performance.now() - t);`,
    );
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const run = spawnSync(process.execPath, [script], {
        env: {
          PATH: process.env.PATH,
          AWS_REGION: "eu-west-1",
          TABLE_NAME: "bench",
          KMS_KEY_ID: "alias/bench",
          POWERTOOLS_METRICS_DISABLED: "true",
        },
        encoding: "utf8",
      });
      if (run.status !== 0) throw new Error(`importing the ${name} bundle failed: ${run.stderr}`);
      times.push(Number(run.stdout.trim().split("\n").at(-1)));
    }
    figures.push({
      name,
      bytes: statSync(file).size,
      gzipBytes: gzipSync(readFileSync(file)).length,
      coldImportMs: median(times),
    });
  }
  return figures;
}
