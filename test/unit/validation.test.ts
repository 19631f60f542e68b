import { describe, expect, it } from "vitest";
import { canonicalJson, payloadHash } from "../../functions/core/canonical";
import { eventSchema } from "../../functions/core/events";
import { jsonBodyProblem, MAX_JSON_DEPTH, parseOrThrow } from "../../functions/core/validation";
import { scanEvent } from "../fixtures/events";

/** `levels` arrays inside each other, parsed from text (building it recursively would itself need the stack). */
const nestedArrays = (levels: number) => JSON.parse(`${"[".repeat(levels)}${"]".repeat(levels)}`) as unknown;

const refusal = (value: unknown) => {
  const problem = jsonBodyProblem(value);
  return problem && { details: [problem] };
};

describe("JSON bodies at the edge: depth and surrogates", () => {
  it("accepts 32 levels of nesting and refuses 33, naming where", () => {
    expect(refusal(nestedArrays(MAX_JSON_DEPTH))).toBeUndefined();
    expect(refusal(nestedArrays(MAX_JSON_DEPTH + 1))).toEqual({
      details: [{ path: Array(MAX_JSON_DEPTH).fill("0").join("."), message: "nested deeper than 32 levels" }],
    });
    const deepObject = JSON.parse(`${'{"a":'.repeat(40)}1${"}".repeat(40)}`) as unknown;
    expect(refusal({ ok: 1, x: deepObject })?.details?.[0]?.path).toBe(["x", ...Array(31).fill("a")].join("."));
  });

  it("walks 30,000 levels (what fits in 64 KiB) without overflowing the stack", () => {
    expect(refusal(nestedArrays(30_000))?.details[0]?.message).toBe("nested deeper than 32 levels");
    expect(jsonBodyProblem({ data: JSON.parse(`${'{"k":'.repeat(30_000)}0${"}".repeat(30_000)}`) })).toEqual({
      path: ["data", ...Array(31).fill("k")].join("."),
      message: "nested deeper than 32 levels",
    });
  });

  it("refuses unpaired surrogates in values and keys, and accepts pairs", () => {
    for (const bad of ["\ud800", "x\udc00", "\udc00\ud83d", "😀\ud83d", "a\ud83db"]) {
      expect(refusal({ cluster: { name: bad } }), JSON.stringify(bad)).toEqual({
        details: [{ path: "cluster.name", message: "contains an unpaired UTF-16 surrogate" }],
      });
    }
    expect(refusal({ labels: [1, { "k\ud800": "v" }] })?.details).toEqual([
      { path: "labels.1.k\ufffd", message: "the key contains an unpaired UTF-16 surrogate" },
    ]);
    expect(refusal(JSON.parse('{"name":"\\ud83d\\ude00 ok","k\\u00e9":["\\u2603"]}'))).toBeUndefined();
    expect(refusal(scanEvent())).toBeUndefined();
    for (const scalar of [null, 1, true, "plain"]) expect(refusal(scalar)).toBeUndefined();
  });
});

describe("payload hash", () => {
  /** The recursive form the hash used to be built from: stored hashes must keep matching. */
  const reference = (value: unknown): string => {
    const canonical = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(canonical);
      if (v && typeof v === "object")
        return Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
        );
      return v;
    };
    return JSON.stringify(canonical(value));
  };

  it("writes exactly what the key-sorted JSON.stringify wrote", () => {
    const samples: unknown[] = [
      scanEvent(),
      { b: [3, { z: null, a: 'é😀\n"' }], a: { y: [], x: {} }, "": -0.5, __proto__x: 1 },
      JSON.parse('{"__proto__":{"polluted":1},"constructor":"c"}'),
      [],
      {},
      "s",
      12,
      null,
      [[["deep", { k: [1e21, 1e-7] }]]],
    ];
    for (const s of samples) expect(canonicalJson(s), JSON.stringify(s)).toBe(reference(s));
  });

  it("ignores key order and hashes any depth without recursion", () => {
    expect(payloadHash({ a: 1, b: { c: 2, d: 3 } })).toBe(payloadHash({ b: { d: 3, c: 2 }, a: 1 }));
    expect(payloadHash({ a: 1 })).not.toBe(payloadHash({ a: 2 }));
    expect(payloadHash(nestedArrays(100_000))).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("validation errors name the path without echoing huge keys", () => {
  it("cuts a key over 64 characters, by code points, in the path and the message", () => {
    const key = `${"k".repeat(63)}😀${"z".repeat(60_000)}`;
    let err: { message?: string; details?: { path: string }[] } = {};
    try {
      parseOrThrow(eventSchema, scanEvent({ labels: { [key]: "v" } }));
    } catch (e) {
      err = e as typeof err;
    }
    expect(err.details?.[0]?.path).toBe(`labels.${"k".repeat(63)}😀…`);
    expect(err.message?.length).toBeLessThan(300);
  });
});
