import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * How every function is bundled: the CDK's NodejsFunction (lib/constructs/service-function.ts) passes these to
 * esbuild, and the bundle tests and the benchmark build with the same values, so what they inspect is what deploys.
 */
export const LAMBDA_BUNDLING = {
  /** Node.js 24, the functions' runtime. */
  target: "node24",
  mainFields: ["module", "main"],
  /** ESM output still meets CommonJS dependencies that call require(). */
  banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
  /**
   * Modules replaced in the bundle, paths relative to the repository root: the SDK's credential chain by the one of
   * its providers Lambda uses (functions/adapters/runtime/lambda-credentials.ts).
   */
  alias: { "@aws-sdk/credential-provider-node": "./functions/adapters/runtime/lambda-credentials.ts" },
} as const;

/** The aliases as esbuild's command line takes them (the CDK's `esbuildArgs`). */
export const aliasArgs = () => Object.entries(LAMBDA_BUNDLING.alias).map(([from, to]) => `${from}=${to}`);

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
  alias: { ...LAMBDA_BUNDLING.alias },
  // The aliases' paths are the repository root's.
  absWorkingDir: root,
});
