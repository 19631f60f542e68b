/**
 * How every function is bundled: the CDK's NodejsFunction (lib/constructs/service-function.ts) passes these to
 * esbuild, and the bundle tests and the benchmark build with the same values, so what they inspect is what deploys.
 */
export const LAMBDA_BUNDLING = {
  /** Node.js 22, the functions' runtime. */
  target: "node22",
  mainFields: ["module", "main"],
  /** ESM output still meets CommonJS dependencies that call require(). */
  banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
} as const;

/** esbuild options equivalent to the CDK's bundling of one entry point (minus source maps, which change no code). */
export const esbuildOptionsFor = (entry: string) => ({
  entryPoints: [entry],
  bundle: true,
  platform: "node" as const,
  format: "esm" as const,
  target: LAMBDA_BUNDLING.target,
  minify: true,
  keepNames: true,
  mainFields: [...LAMBDA_BUNDLING.mainFields],
  banner: { js: LAMBDA_BUNDLING.banner },
});
