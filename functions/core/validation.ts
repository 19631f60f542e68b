import type * as z from "zod";
import { invalid } from "./errors";

/** Parses `input` with `schema`, or throws a 400 `validation_error` listing every problem with its JSON path. */
export function parseOrThrow<T extends z.ZodType>(schema: T, input: unknown, what = "request body"): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const details = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join("."),
    message: issue.message,
  }));
  throw invalid(
    "validation_error",
    `The ${what} is not valid: ${details[0]?.path || "(root)"}: ${details[0]?.message}`,
    details,
  );
}
