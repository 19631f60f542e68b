import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      "cdk.out/",
      ".data/",
      "coverage/",
      ".scratch/",
      "test-artifacts/",
      "functions/api/console/assets.generated.js",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
      "no-restricted-properties": [
        "error",
        { object: "it", property: "only", message: "No focused tests." },
        { object: "it", property: "skip", message: "No skipped tests." },
        { object: "describe", property: "only", message: "No focused tests." },
        { object: "describe", property: "skip", message: "No skipped tests." },
        { object: "test", property: "only", message: "No focused tests." },
        { object: "test", property: "skip", message: "No skipped tests." },
      ],
    },
  },
  {
    files: ["functions/core/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@aws-sdk/*", "aws-lambda", "../adapters/*"],
              message: "The domain stays free of AWS and adapters.",
            },
          ],
        },
      ],
    },
  },
);
