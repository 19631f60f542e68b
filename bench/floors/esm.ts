// The least a function's bundle can cost: an empty ES module (the CDK builds ESM; `node -e 0` loads no ESM loader).
export {};
