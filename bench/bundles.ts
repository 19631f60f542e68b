import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

/** The Lambda entry points, bundled as the CDK stack bundles them (ESM, minified, node22). */
export const ENTRY_POINTS = {
  api: "functions/api/handler.ts",
  authorizer: "functions/authorizer/handler.ts",
  delivery: "functions/delivery/handler.ts",
} as const;

export interface BundleFigure {
  name: string;
  bytes: number;
  gzipBytes: number;
  coldImportMs: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** Bundles each function and times a cold `import()` of it in a fresh Node process (median of 5). */
export async function measureBundles(): Promise<BundleFigure[]> {
  const out = mkdtempSync(join(tmpdir(), "bundles-"));
  const figures: BundleFigure[] = [];
  for (const [name, entry] of Object.entries(ENTRY_POINTS)) {
    const file = join(out, `${name}.mjs`);
    await build({
      entryPoints: [entry],
      outfile: file,
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node22",
      minify: true,
      keepNames: true,
      // The same banner the CDK functions use, so CommonJS dependencies can require Node built-ins.
      banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
      logLevel: "error",
    });
    const bytes = statSync(file).size;
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
          AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: "1",
        },
        encoding: "utf8",
      });
      if (run.status !== 0) throw new Error(`importing the ${name} bundle failed: ${run.stderr}`);
      times.push(Number(run.stdout.trim().split("\n").at(-1)));
    }
    figures.push({ name, bytes, gzipBytes: gzipSync(readFileSync(file)).length, coldImportMs: median(times) });
  }
  return figures;
}
