import { describe, expect, it } from "vitest";
import { authorizerInvocationsPerEvent, designFloor, priceRun, tracesPerNotification } from "../../bench/cost";
import { type CallLine, type CostRun, eventOfSize, itemBytes, purposeOf, upgradeOf } from "../../bench/cost-measure";
import { STAGES } from "../../lib/stage-config";

/** A run of `n` notifications that made the given calls, with nothing else measured. */
const run = (n: number, over: Partial<CostRun> = {}): CostRun => ({
  dataKeyCache: "off",
  threads: false,
  eventsPerUpgrade: 1,
  events: n,
  eventBytes: 2048,
  channels: 1,
  gapMs: 0,
  calls: [],
  warmupCalls: [],
  invocations: {},
  logBytes: 0,
  storedBytes: { event: 0, notification: 0 },
  delivered: n,
  ...over,
});
/** One counted call line: nothing failed, no capacity unless given, every call billed once. */
const callLine = (c: Pick<CallLine, "fn" | "service" | "op" | "purpose" | "calls"> & Partial<CallLine>): CallLine => ({
  failed: 0,
  readUnits: 0,
  writeUnits: 0,
  billedRequests: c.calls,
  ...c,
});
const line = (r: CostRun, what: string) => priceRun(r, { tracing: true }).find((l) => l.what.includes(what));

describe("the benchmark's cost model", () => {
  it("labels a DynamoDB request with the item kinds it touches and the attributes an update sets", () => {
    expect(purposeOf("GetItem", { Key: { pk: "WS#w", sk: "NOTIF#ntf_1" } })).toBe("NOTIF");
    expect(
      purposeOf("UpdateItem", {
        Key: { pk: "WS#w", sk: "NOTIF#ntf_1" },
        UpdateExpression: "SET #status = :s, updated_at = :now REMOVE #error",
        ExpressionAttributeNames: { "#status": "status", "#error": "error" },
      }),
    ).toBe("NOTIF (status, updated_at, error)");
    expect(
      purposeOf("TransactWriteItems", {
        TransactItems: [
          { Put: { Item: { sk: "EVENT#e" } } },
          { Put: { Item: { sk: "NOTIF#1" } } },
          { Put: { Item: { sk: "NOTIF#2" } } },
        ],
      }),
    ).toBe("Put EVENT + Put NOTIF ×2");
    expect(
      purposeOf("BatchGetItem", { RequestItems: { t: { Keys: [{ sk: "NOTIF#1" }, { sk: { S: "PACE##a" } }] } } }),
    ).toBe("NOTIF + PACE");
  });

  it("sizes items by DynamoDB's rules, with its 100 bytes per item", () => {
    expect(itemBytes({ pk: "WS#1" })).toBe(100 + 2 + 4);
    expect(itemBytes({ n: 12345 })).toBe(100 + 1 + 4);
    expect(itemBytes({ m: { a: "xy" } })).toBe(100 + 1 + 3 + (1 + 2 + 1));
  });

  it("makes events of exactly the size asked for", () => {
    expect(Buffer.byteLength(JSON.stringify(eventOfSize(7, 20, 2048)))).toBe(2048);
  });

  it("prices counted requests per million notifications", () => {
    const r = run(10, {
      calls: [
        callLine({ fn: "api", service: "DynamoDB", op: "TransactWriteItems", purpose: "x", calls: 10, writeUnits: 80 }),
        callLine({ fn: "delivery", service: "KMS", op: "Decrypt", purpose: "", calls: 10 }),
        callLine({ fn: "delivery", service: "DynamoDB", op: "GetItem", purpose: "y", calls: 20, readUnits: 20 }),
      ],
    });
    expect(line(r, "TransactWriteItems")?.usdPerMillion).toBeCloseTo(5.0, 6); // 8 WRU at $0.625 per million
    expect(line(r, "Decrypt")?.usdPerMillion).toBeCloseTo(3.0, 6); // $0.03 per 10,000
    expect(line(r, "GetItem")?.usdPerMillion).toBeCloseTo(0.25, 6); // 2 RRU at $0.125 per million
  });

  it("charges the cache's refill floor when the cache is on and the run saw no unwrap", () => {
    expect(line(run(10, { dataKeyCache: "on" }), "refill")?.usdPerMillion).toBeCloseTo(0.003, 6);
    expect(line(run(10, { dataKeyCache: "off" }), "refill")).toBeUndefined();
  });

  it("prices Lambda duration from the measured, rounded-up milliseconds and the function's memory", () => {
    const r = run(4, {
      invocations: { delivery: { count: 4, totalMs: 398, billedMs: 400, p50Ms: 100, p95Ms: 100 } },
    });
    // 0.1 s × 0.5 GB × $0.0000133334 per GB-s, per notification.
    expect(line(r, "delivery: duration")?.usdPerMillion).toBeCloseTo(0.1 * 0.5 * 0.0000133334 * 1e6, 6);
  });

  it("prices X-Ray only when tracing is on, as the prod stage has it unless asked", () => {
    const r = run(4, { invocations: { delivery: { count: 4, totalMs: 4, billedMs: 4, p50Ms: 1, p95Ms: 1 } } });
    const xray = (opts: { tracing?: boolean }) => priceRun(r, opts).filter((l) => l.service === "X-Ray");
    expect(xray({ tracing: true })).toHaveLength(1);
    expect(xray({ tracing: false })).toEqual([]);
    expect(xray({})).toHaveLength(STAGES.prod?.tracing ? 1 : 0);
  });

  it("groups a channel's consecutive events into upgrades, each warm-up event its own", () => {
    // 20 channels: events 20, 40, 60, 80, 100 are channel 0's first five after its warm-up event 0.
    expect([0, 20, 40, 60, 80, 100, 120].map((i) => upgradeOf(i, 20, 5))).toEqual([
      "upg-warm-0",
      "upg-0-0",
      "upg-0-0",
      "upg-0-0",
      "upg-0-0",
      "upg-0-0",
      "upg-0-1",
    ]);
    expect(upgradeOf(21, 20, 1)).not.toBe(upgradeOf(41, 20, 1));
  });

  it("samples X-Ray traces as the default rule does: all below one a second, 5% of the rest above", () => {
    expect(tracesPerNotification(1, 1_000_000)).toBeCloseTo(1, 6);
    const rate = 100_000_000 / (30.44 * 86_400);
    expect(tracesPerNotification(1, 100_000_000)).toBeCloseTo((1 + 0.05 * (rate - 1)) / rate, 6);
  });

  it("runs the authorizer once per token and cache period when its cache is counted, at most once per event", () => {
    const periods = (30.44 * 86_400) / (STAGES.prod?.authorizerCacheSeconds ?? 0);
    expect(authorizerInvocationsPerEvent(10_000_000)).toBeCloseTo(periods / 10_000_000, 9);
    expect(authorizerInvocationsPerEvent(1_000)).toBe(1);
    expect(authorizerInvocationsPerEvent(10_000_000, 3)).toBeCloseTo((3 * periods) / 10_000_000, 9);
  });

  it("scales the authorizer's invocations and its own requests by the cache, and nothing else", () => {
    const r = run(10, {
      calls: [
        callLine({ fn: "authorizer", service: "DynamoDB", op: "GetItem", purpose: "TOKEN", calls: 10, readUnits: 10 }),
        callLine({ fn: "api", service: "DynamoDB", op: "GetItem", purpose: "INTEGRATION", calls: 10, readUnits: 10 }),
      ],
    });
    const share = authorizerInvocationsPerEvent(10_000_000);
    const cached = priceRun(r, { authorizerCached: true, tracing: false });
    const uncached = priceRun(r, { tracing: false });
    const at = (lines: typeof cached, what: string) => lines.find((l) => l.what.startsWith(what))?.usdPerMillion;
    expect(at(uncached, "authorizer: GetItem")).toBeCloseTo(0.125, 6);
    expect(at(cached, "authorizer: GetItem")).toBeCloseTo(0.125 * share, 9);
    expect(at(uncached, "authorizer: invocations")).toBeCloseTo(0.2, 6);
    expect(at(cached, "authorizer: invocations")).toBeCloseTo(0.2 * share, 9);
    expect(at(cached, "api: GetItem")).toBeCloseTo(0.125, 6);
  });

  it("prices the design's floor from the price table: the fixed requests, per batch", () => {
    const sum = (lines: ReturnType<typeof designFloor>) => lines.reduce((a, l) => a + l.usdPerMillion, 0);
    const auth = authorizerInvocationsPerEvent(10_000_000);
    // HTTP API $1, api invocation $0.20, 5 WRU at $0.625, 3.5 RRU at $0.125, plus what batches divide.
    const fixed = 1 + 0.2 + 5 * 0.625 + (3.5 + auth) * 0.125 + auth * 0.2;
    // A batch of 10: delivery invocation, pipe request, SQS send + receive + delete, each a tenth.
    expect(sum(designFloor({ perBatch: 10 }))).toBeCloseTo(fixed + 0.1 * 0.2 + 0.1 * 0.4 + 0.3 * 0.5, 6);
    // Batches of one, 0.9 delivery invocations per notification.
    expect(sum(designFloor({ perBatch: 1, deliveryInvocations: 0.9 }))).toBeCloseTo(
      fixed + 0.9 * 0.2 + 0.4 + (1 + 1.8) * 0.5,
      6,
    );
  });
});
