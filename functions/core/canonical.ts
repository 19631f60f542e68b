import { createHash } from "node:crypto";

/**
 * JSON text of a JSON value with object keys sorted, arrays kept in order, no whitespace: the same text as
 * `JSON.stringify` of a key-sorted copy (so hashes stored before stay valid), built with an explicit stack so that no
 * nesting depth can overflow the call stack.
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  // Either a value still to write, or a literal piece of punctuation to emit when reached.
  const todo: ({ value: unknown } | string)[] = [{ value }];
  for (let next = todo.pop(); next !== undefined; next = todo.pop()) {
    if (typeof next === "string") {
      out.push(next);
      continue;
    }
    const v = next.value;
    if (v === null || typeof v !== "object") {
      // JSON.stringify writes a non-JSON value (undefined, a function) inside an array as null.
      out.push(JSON.stringify(v) ?? "null");
      continue;
    }
    const pending: ({ value: unknown } | string)[] = [];
    if (Array.isArray(v)) {
      pending.push("[");
      v.forEach((item, i) => pending.push(...(i ? [","] : []), { value: item }));
      pending.push("]");
    } else {
      const entries = Object.keys(v)
        .sort()
        .map((k) => [k, (v as Record<string, unknown>)[k]] as const)
        .filter(([, item]) => item !== undefined && typeof item !== "function");
      pending.push("{");
      entries.forEach(([k, item], i) => pending.push(`${i ? "," : ""}${JSON.stringify(k)}:`, { value: item }));
      pending.push("}");
    }
    for (let i = pending.length - 1; i >= 0; i--) todo.push(pending[i] as { value: unknown } | string);
  }
  return out.join("");
}

/** A hash of a JSON value that ignores key order and whitespace: "the same payload" for idempotency. */
export const payloadHash = (value: unknown) => createHash("sha256").update(canonicalJson(value)).digest("hex");
