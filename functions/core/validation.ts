import type * as z from "zod";
import { type ErrorDetail, invalid } from "./errors";

type Issue = z.core.$ZodIssue;

/**
 * Slack's tokens (xoxb-, xoxp-, xapp-, …), its webhook host and this service's own tokens (mdl_), anywhere in a text:
 * what an error must not echo, wherever it was pasted.
 */
export const LOOKS_LIKE_SECRET = /xox[a-z]-|xapp-|hooks\.slack\.com|mdl_/i;

/**
 * An issue with the union's branches told apart: the branch made for the value's own type speaks for it. Unknown
 * fields are named one by one, by their path, unless the name looks like a secret.
 */
function flatten(issue: Issue): Issue[] {
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) =>
      LOOKS_LIKE_SECRET.test(key)
        ? { ...issue, message: "a field whose name looks like a token or webhook URL is not a field of this request" }
        : { ...issue, path: [...issue.path, key], message: "not a field of this request" },
    );
  }
  if (issue.code !== "invalid_union" || issue.errors.length === 0) return [issue];
  const otherType = (branch: Issue[]) =>
    branch.length === 1 && branch[0]?.code === "invalid_type" && branch[0].path.length === 0;
  const fitting = issue.errors.filter((branch) => !otherType(branch));
  if (fitting.length === 1) {
    return (fitting[0] as Issue[]).flatMap((inner) => flatten({ ...inner, path: [...issue.path, ...inner.path] }));
  }
  if (fitting.length === 0) {
    const expected = issue.errors.map((branch) => (branch[0] as z.core.$ZodIssueInvalidType).expected).join(" or ");
    return [{ ...issue, message: `Invalid input: expected ${expected}` }];
  }
  return [issue];
}

/** Issues as the answer's details: each with its JSON path, fit to echo back. */
const detailsOf = (issues: readonly Issue[]): ErrorDetail[] =>
  issues.flatMap(flatten).map((issue) => ({
    path: issue.path.map((key) => segment(String(key))).join("."),
    message: issue.message,
  }));

/** The fields `input` has that `schema` does not know, named as parseOrThrow names them. */
export const unknownFields = (schema: z.ZodType, input: unknown): ErrorDetail[] =>
  detailsOf((schema.safeParse(input).error?.issues ?? []).filter((i) => i.code === "unrecognized_keys"));

/** Parses `input` with `schema`, or throws a `validation_error` listing every problem with its JSON path. */
export function parseOrThrow<T extends z.ZodType>(schema: T, input: unknown, what = "request body"): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const details = detailsOf(result.error.issues);
  throw invalid(
    "validation_error",
    `The ${what} is not valid: ${details[0]?.path || "(root)"}: ${details[0]?.message}`,
    details,
  );
}

/** How deeply a request body may nest objects and arrays (contract section 2). */
export const MAX_JSON_DEPTH = 32;

/** A UTF-16 surrogate not part of a pair: with the `u` flag a pair is one code point, so only lone halves match. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Longer keys are cut in the paths errors echo: a 60 KB label key is not sent back twice. */
const MAX_SEGMENT = 64;

/**
 * A path segment fit to echo back: a lone surrogate in a key is shown as U+FFFD, never returned as is, and a long
 * key is cut with an ellipsis.
 */
const segment = (key: string | number) => {
  // By code points, so the cut never splits a surrogate pair.
  const points = [...String(key).replace(/\p{Cs}/gu, "\uFFFD")];
  return points.length > MAX_SEGMENT ? `${points.slice(0, MAX_SEGMENT).join("")}…` : points.join("");
};

interface Visit {
  value: unknown;
  /** Containers enclosing this value. */
  depth: number;
  key?: string | number;
  parent?: Visit;
}

const pathOf = (v: Visit): string => {
  const segments: string[] = [];
  for (let at: Visit | undefined = v; at?.key !== undefined; at = at.parent) segments.unshift(segment(at.key));
  return segments.join(".");
};

/**
 * What makes a parsed JSON body unacceptable, or undefined: nesting deeper than `MAX_JSON_DEPTH`, or a string (a key
 * included) with an unpaired UTF-16 surrogate. The HTTP edge asks this once, right after JSON.parse, and refuses it
; * as validation_error, so nothing behind it sees such input. The walk is iterative: a body can nest about 32,000
 * levels within 64 KiB, and it must not be able to exhaust the stack here.
 */
export function jsonBodyProblem(value: unknown): { path: string; message: string } | undefined {
  const stack: Visit[] = [{ value, depth: 0 }];
  for (let visit = stack.pop(); visit; visit = stack.pop()) {
    const v = visit.value;
    if (typeof v === "string") {
      if (LONE_SURROGATE.test(v)) return { path: pathOf(visit), message: "contains an unpaired UTF-16 surrogate" };
      continue;
    }
    if (v === null || typeof v !== "object") continue;
    if (visit.depth >= MAX_JSON_DEPTH)
      return { path: pathOf(visit), message: `nested deeper than ${MAX_JSON_DEPTH} levels` };
    const depth = visit.depth + 1;
    // Pushed in reverse, so the first offending value in document order is the one reported.
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], depth, key: i, parent: visit });
      continue;
    }
    const keys = Object.keys(v);
    const bad = keys.find((k) => LONE_SURROGATE.test(k));
    if (bad !== undefined)
      return {
        path: pathOf({ value: undefined, depth, key: bad, parent: visit }),
        message: "the key contains an unpaired UTF-16 surrogate",
      };
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i] as string;
      stack.push({ value: (v as Record<string, unknown>)[key], depth, key, parent: visit });
    }
  }
  return undefined;
}
