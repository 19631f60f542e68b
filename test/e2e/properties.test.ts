import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { scanEvent } from "../fixtures/events";
import { startTestStack, type TestStack } from "../fixtures/test-stack";

/**
 * Property-based probing of the API through the local stack (DynamoDB Local, the real handlers): whatever a caller
 * sends, the answer is never a 5xx, and a 4xx stores nothing.
 */
let t: TestStack;
let w: Awaited<ReturnType<TestStack["workspace"]>>;
let dynamodb: DynamoDBClient;

beforeAll(async () => {
  t = await startTestStack();
  w = await t.workspace();
  await w.connect({ bot_token: "xoxb-prop-1", channels: ["#props"] });
  dynamodb = new DynamoDBClient({ endpoint: inject("dynamodbEndpoint") });
});
afterAll(async () => {
  await t.stop();
  dynamodb.destroy();
});

/**
 * The items of the stack's table, what "nothing stored" is measured against; without the channels' pace records,
 * which delivery writes in the background for events accepted earlier.
 */
async function itemCount(): Promise<number> {
  let count = 0;
  let start: Record<string, never> | undefined;
  do {
    const out = await dynamodb.send(
      new ScanCommand({
        TableName: process.env.TABLE_NAME,
        Select: "COUNT",
        FilterExpression: "attribute_not_exists(kind) OR kind <> :pace",
        ExpressionAttributeValues: { ":pace": { S: "pace" } },
        ExclusiveStartKey: start,
      }),
    );
    count += out.Count ?? 0;
    start = out.LastEvaluatedKey as typeof start;
  } while (start);
  return count;
}

/** Sends one request and checks the property: no 5xx; a 4xx leaves the table as it was. */
async function probe(method: string, path: string, raw?: string) {
  const before = await itemCount();
  const res = await t.call(method, path, {
    token: w.token,
    ...(raw === undefined ? {} : { raw, headers: { "content-type": "application/json" } }),
  });
  expect(res.status, `${method} ${path} ${raw?.slice(0, 200)} → ${res.text.slice(0, 300)}`).toBeLessThan(500);
  if (res.status >= 400) {
    expect(res.body, res.text).toHaveProperty("error.code");
    expect(await itemCount(), `${method} ${path} stored something for a ${res.status}`).toBe(before);
  }
  return res.status;
}

/** Strings a hostile caller would try: long ones, lone surrogates, control characters, markup. */
const nasty = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.constantFrom("\ud800", "a\udc00b", "<!channel>", "x".repeat(1100), " https://x", "https://u:p@x/", "\u0000"),
);
/**
 * JSON texts (not values: a value 5,000 levels deep would overflow the test's own JSON.stringify), sometimes nested far
 * deeper than the 32 levels the API accepts.
 */
const deepText = fc
  .tuple(fc.oneof(fc.integer({ min: 0, max: 80 }), fc.integer({ min: 4000, max: 6000 })), fc.jsonValue({ maxDepth: 2 }))
  .map(([depth, leaf]) => `${'{"k":'.repeat(depth)}${JSON.stringify(leaf)}${"}".repeat(depth)}`);
const anyJsonText = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  deepText,
  nasty.map((v) => JSON.stringify(v)),
);

/** A valid event with one field (or a nested one) replaced by something else. */
const HOLE = "\u0001hole\u0001";
const mutatedEvent = fc
  .tuple(
    fc.constantFrom("event_id", "type", "occurred_at", "cluster", "labels", "dashboard_url", "data", "upgrade_id"),
    fc.option(fc.constantFrom("name", "risk_score", "current_version", "deprecated_apis", "x"), { nil: undefined }),
    anyJsonText,
  )
  .map(([field, inner, value]) => {
    const event = scanEvent() as Record<string, unknown>;
    if (inner && typeof event[field] === "object" && event[field] !== null)
      (event[field] as Record<string, unknown>)[inner] = HOLE;
    else event[field] = HOLE;
    return JSON.stringify(event).replace(JSON.stringify(HOLE), value);
  });

describe("whatever is sent, never a 5xx and nothing stored on a 4xx", () => {
  it("request bodies on every route that takes one", async () => {
    const routes: [string, string][] = [
      ["POST", `${w.base}/events`],
      ["POST", `${w.base}/events/preview`],
      ["POST", `${w.base}/tokens`],
      ["PUT", `${w.base}/integrations/slack`],
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        fc.oneof(anyJsonText, mutatedEvent, nasty),
        async ([method, path], raw) => {
          await probe(method, path, raw);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("ids in paths", async () => {
    // Not empty: `…/notifications/` is the listing itself.
    const id = fc.oneof(nasty, fc.stringMatching(/^[a-z]{2,4}_[A-Za-z0-9_-]{0,40}$/)).filter((x) => x.length > 0);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          (x: string) => ["GET", `${w.base}/notifications/${x}`],
          (x: string) => ["POST", `${w.base}/notifications/${x}/retry`],
          (x: string) => ["DELETE", `${w.base}/tokens/${x}`],
          (x: string) => ["GET", `/v1/workspaces/${x}/notifications`],
          (x: string) => ["GET", `/v1/workspaces/${x}/integrations/slack`],
        ),
        id,
        async (route, raw) => {
          // A URL carries UTF-8: a lone surrogate cannot be sent as such, so it goes as U+FFFD.
          const [method, path] = route(encodeURIComponent(Buffer.from(raw, "utf8").toString("utf8"))) as [
            string,
            string,
          ];
          const status = await probe(method, path);
          expect([400, 404, 405]).toContain(status);
        },
      ),
      { numRuns: 120 },
    );
  });

  it("query strings of the notification log", async () => {
    const value = fc.oneof(nasty, fc.constantFrom("failed", "delivered", "0", "101", "-1", "1e3", "test"));
    const key = fc.constantFrom("status", "type", "limit", "cursor", "x", "__proto__", "constructor");
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(key, value), { maxLength: 4 }), async (pairs) => {
        const qs = new URLSearchParams(pairs).toString();
        await probe("GET", `${w.base}/notifications?${qs}`);
      }),
      { numRuns: 120 },
    );
  });
});
