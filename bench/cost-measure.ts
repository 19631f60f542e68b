/**
 * The measuring half of the cost model: runs the local stack in this process with client hooks registered (SDK
 * middleware on every DynamoDB and SQS client the handler modules build, a wrapper around the key provider), sends
 * 2 KB events at a gentle rate, one channel per event, and reports what the code asked of AWS per accepted event and
 * per delivered notification. Run by bench/cost.ts in a child process (one local stack per process).
 */
import type { ConsumedCapacity } from "@aws-sdk/client-dynamodb";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { type FunctionName, registerClientHooks } from "../functions/adapters/client-hooks";
import type { KeyProvider } from "../functions/core/ports";
import { STAGES } from "../lib/stage-config";
import type { LocalAwsCredentials } from "../local/data-dir";
import { emulatorClientConfig } from "../local/emulators";
import { startStackWithFakeSlack } from "../test/fixtures/stack-with-fake-slack";

export interface CostRunOptions {
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  credentials: LocalAwsCredentials;
  /** The delivery function's DATA_KEY_CACHE. */
  dataKeyCache: "on" | "off";
  events: number;
  channels: number;
  /** Between two accepted events; with `channels` channels, each channel gets one every channels × gap ms. */
  gapMs: number;
  /** The integration's `threads` setting. */
  threads: boolean;
  /** Consecutive events of one channel that share an `upgrade_id` (one thread when threads are on). */
  eventsPerUpgrade: number;
}

export type Service = "DynamoDB" | "SQS" | "KMS";

/** One kind of request: who made it, which operation, on what (the item kinds it names, the attributes it sets). */
export interface CallLine {
  fn: FunctionName;
  service: Service;
  op: string;
  purpose: string;
  calls: number;
  failed: number;
  readUnits: number;
  writeUnits: number;
  /** SQS bills each 64 KB of payload as one request. */
  billedRequests: number;
}

export interface InvocationStats {
  count: number;
  totalMs: number;
  /** Lambda bills each invocation rounded up to the millisecond. */
  billedMs: number;
  p50Ms: number;
  p95Ms: number;
}

export interface CostRun {
  dataKeyCache: "on" | "off";
  threads: boolean;
  eventsPerUpgrade: number;
  events: number;
  eventBytes: number;
  channels: number;
  gapMs: number;
  /** Counted after a warm-up of one event per channel (container start, first unwrap of the key), excluded here. */
  calls: CallLine[];
  warmupCalls: CallLine[];
  invocations: Partial<Record<FunctionName, InvocationStats>>;
  /** Bytes the handlers wrote to stdout and stderr (log lines, EMF metrics) in the measured window. */
  logBytes: number;
  /** DynamoDB's item size (attribute names and values, plus its 100 bytes of per-item overhead) of what stays stored. */
  storedBytes: { event: number; notification: number };
  /** Of the measured window's notifications. */
  delivered: number;
}

const CAPACITY_OPS = new Set([
  "GetItem",
  "PutItem",
  "UpdateItem",
  "DeleteItem",
  "Query",
  "Scan",
  "BatchGetItem",
  "BatchWriteItem",
  "TransactWriteItems",
  "TransactGetItems",
]);

/** The middleware sees lib-dynamodb's input before it is marshalled: plain values, or `{S: …}` from a low-level call. */
type Item = Record<string, unknown>;
const text = (v: unknown) => (typeof v === "string" ? v : ((v as { S?: string } | undefined)?.S ?? ""));

/** The item kind a key names: `NOTIF#ntf_…` → NOTIF, `INTEGRATION#slack` → INTEGRATION. */
const kindOf = (item: Item | undefined) => text(item?.sk).split("#")[0] || "?";

/** The attributes an update sets, adds or removes, with #placeholders resolved. */
function updatedAttributes(expr: unknown, names: unknown): string {
  if (typeof expr !== "string") return "";
  const map = (names ?? {}) as Record<string, string>;
  const attrs = [...expr.matchAll(/(?:SET|,|ADD|REMOVE)\s*(#?[A-Za-z_][\w]*)/g)].map((m) => m[1] ?? "");
  return [...new Set(attrs.map((a) => map[a] ?? a))].join(", ");
}

/** `Put EVENT`, `Put NOTIF`, `Put NOTIF` → `Put EVENT + Put NOTIF ×2`. */
function tally(parts: string[]): string {
  const counted = new Map<string, number>();
  for (const p of parts) counted.set(p, (counted.get(p) ?? 0) + 1);
  return [...counted].map(([p, n]) => (n > 1 ? `${p} ×${n}` : p)).join(" + ");
}

/** What a DynamoDB request is for, from its input: the item kinds it touches and how. */
export function purposeOf(op: string, input: Record<string, unknown>): string {
  const key = (input.Key ?? input.Item) as Item | undefined;
  switch (op) {
    case "GetItem":
    case "PutItem":
    case "DeleteItem":
      return kindOf(key);
    case "UpdateItem": {
      const attrs = updatedAttributes(input.UpdateExpression, input.ExpressionAttributeNames);
      return `${kindOf(key)} (${attrs})`;
    }
    case "Query": {
      const values = Object.values((input.ExpressionAttributeValues ?? {}) as Record<string, unknown>).map(text);
      const prefix = values.find((v) => v.endsWith("#")) ?? "";
      return prefix ? `${prefix.replace(/#$/, "")} items` : "?";
    }
    case "TransactWriteItems":
    case "TransactGetItems":
      return tally(
        ((input.TransactItems ?? []) as Record<string, { Item?: Item; Key?: Item }>[]).map((t) => {
          const [kind, body] = Object.entries(t)[0] ?? ["?", {}];
          return `${kind} ${kindOf(body.Item ?? body.Key)}`;
        }),
      );
    case "BatchGetItem":
      return tally(
        Object.values((input.RequestItems ?? {}) as Record<string, { Keys?: Item[] }>).flatMap((r) =>
          (r.Keys ?? []).map(kindOf),
        ),
      );
    case "BatchWriteItem":
      return tally(
        Object.values(
          (input.RequestItems ?? {}) as Record<
            string,
            { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }[]
          >,
        ).flatMap((rs) =>
          rs.map((r) => (r.PutRequest ? `Put ${kindOf(r.PutRequest.Item)}` : `Delete ${kindOf(r.DeleteRequest?.Key)}`)),
        ),
      );
    default:
      return "";
  }
}

const READS = new Set(["GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"]);

/**
 * The units one answer says it consumed, as reads or writes. DynamoDB gives the split; DynamoDB Local only the total
 * (CapacityUnits), which is all reads or all writes by the operation.
 */
function unitsOf(op: string, cc: ConsumedCapacity | ConsumedCapacity[] | undefined) {
  const all = Array.isArray(cc) ? cc : cc ? [cc] : [];
  const read = READS.has(op);
  return all.reduce(
    (sum, c) => ({
      read: sum.read + (c.ReadCapacityUnits ?? (read ? (c.CapacityUnits ?? 0) : 0)),
      write: sum.write + (c.WriteCapacityUnits ?? (read ? 0 : (c.CapacityUnits ?? 0))),
    }),
    { read: 0, write: 0 },
  );
}

/** DynamoDB's size of one stored item (its rules for names and values), plus the 100 bytes it adds per item. */
export function itemBytes(item: Record<string, unknown>): number {
  const size = (v: unknown): number => {
    if (v === null || v === undefined || typeof v === "boolean") return 1;
    if (typeof v === "string") return Buffer.byteLength(v, "utf8");
    if (typeof v === "number") return Math.ceil(String(Math.abs(v)).replace(/^0\.|\./, "").length / 2) + 1;
    if (v instanceof Uint8Array) return v.byteLength;
    if (Array.isArray(v)) return 3 + v.reduce((s: number, e) => s + size(e) + 1, 0);
    if (v instanceof Set) return [...v].reduce((s: number, e) => s + size(e), 0);
    return (
      3 + Object.entries(v as Record<string, unknown>).reduce((s, [k, e]) => s + Buffer.byteLength(k) + size(e) + 1, 0)
    );
  };
  return 100 + Object.entries(item).reduce((s, [k, v]) => s + Buffer.byteLength(k) + size(v), 0);
}

/**
 * The upgrade the i-th event belongs to: each channel's warm-up event its own, then `perUpgrade` consecutive events
 * of one channel (event i goes to channel i mod channels) per upgrade.
 */
export const upgradeOf = (i: number, channels: number, perUpgrade: number) =>
  i < channels ? `upg-warm-${i}` : `upg-${i % channels}-${Math.floor((Math.floor(i / channels) - 1) / perUpgrade)}`;

/** A scan_completed event whose JSON body is `bytes` long: the cost model's "2 KB event". */
export function eventOfSize(i: number, channels: number, bytes: number, upgradeId = `upg-${i}`) {
  const deprecated = (k: number) => ({
    api: `batch/v1beta1 CronJob ${k}`,
    removed_in: "1.25",
    replacement: "batch/v1 CronJob",
    occurrences: k + 1,
  });
  const event = {
    event_id: `cost-${i}-${Date.now().toString(36)}`,
    type: "scan_completed",
    upgrade_id: upgradeId,
    cluster: { name: `cluster-${i}`, id: `c-${i}`, provider: "eks", region: "us-east-1" },
    labels: { shard: String(i % channels), env: "prod", team: "platform", pad: "" },
    dashboard_url: "https://app.example.com/clusters/c-1/upgrades/42",
    data: {
      risk_score: 40 + (i % 60),
      current_version: "1.29",
      target_version: "1.30",
      deprecated_apis: [] as ReturnType<typeof deprecated>[],
      addon_conflicts: Array.from({ length: 3 }, (_, k) => ({
        name: `addon-${k}`,
        installed_version: "1.0.0",
        required_version: "2.0.0",
        reason: "The installed version uses an API removed in the target version.",
      })),
    },
  };
  const size = () => Buffer.byteLength(JSON.stringify(event));
  // Whole entries while they fit, then a label (at most 256 characters) makes up the rest.
  while (size() + Buffer.byteLength(JSON.stringify(deprecated(event.data.deprecated_apis.length))) + 1 <= bytes)
    event.data.deprecated_apis.push(deprecated(event.data.deprecated_apis.length));
  event.labels.pad = "x".repeat(Math.max(0, bytes - size()));
  if (size() !== bytes) throw new Error(`cannot make a ${bytes}-byte event (${size()})`);
  return event;
}

const stats = (ms: number[]): InvocationStats => {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
  return {
    count: ms.length,
    totalMs: ms.reduce((a, b) => a + b, 0),
    billedMs: ms.reduce((a, b) => a + Math.ceil(b), 0),
    p50Ms: at(0.5),
    p95Ms: at(0.95),
  };
};

export async function runCost(opts: CostRunOptions): Promise<CostRun> {
  const lines = new Map<string, CallLine>();
  const record = (l: Omit<CallLine, "calls" | "failed"> & { failed: boolean }) => {
    const id = [l.fn, l.service, l.op, l.purpose].join("|");
    const line = lines.get(id) ?? { ...l, calls: 0, failed: 0, readUnits: 0, writeUnits: 0, billedRequests: 0 };
    line.calls++;
    if (l.failed) line.failed++;
    line.readUnits += l.readUnits;
    line.writeUnits += l.writeUnits;
    line.billedRequests += l.billedRequests;
    lines.set(id, line);
  };

  registerClientHooks({
    dynamodb: (client: DynamoDBClient, fn) => {
      client.middlewareStack.add(
        (next, context) => async (args) => {
          const input = args.input as Record<string, unknown>;
          const op = String(context.commandName ?? "?").replace(/Command$/, "");
          // Asked for on every request that accepts it: DynamoDB then says what it billed.
          if (CAPACITY_OPS.has(op)) input.ReturnConsumedCapacity = "TOTAL";
          const purpose = purposeOf(op, input);
          try {
            const out = await next(args);
            const cc = (out.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] }).ConsumedCapacity;
            const units = unitsOf(op, cc);
            record({
              fn,
              service: "DynamoDB",
              op,
              purpose,
              failed: false,
              readUnits: units.read,
              writeUnits: units.write,
              billedRequests: 1,
            });
            return out;
          } catch (err) {
            // A failed condition is billed too, but its answer carries no capacity: counted, priced as 1 unit.
            const write = !READS.has(op);
            record({
              fn,
              service: "DynamoDB",
              op,
              purpose: `${purpose} [${(err as Error).name}]`,
              failed: true,
              readUnits: write ? 0 : 0.5,
              writeUnits: write ? 1 : 0,
              billedRequests: 1,
            });
            throw err;
          }
        },
        // Before serialization, so ReturnConsumedCapacity goes on the wire (lib-dynamodb passes it through).
        { step: "initialize", priority: "low", name: "benchCostCounter" },
      );
    },
    sqs: (client: SQSClient, fn) => {
      client.middlewareStack.add(
        (next, context) => async (args) => {
          const input = args.input as { MessageBody?: string; Entries?: { MessageBody?: string }[] };
          const op = String(context.commandName ?? "?").replace(/Command$/, "");
          const payload = [input.MessageBody ?? "", ...(input.Entries ?? []).map((e) => e.MessageBody ?? "")];
          const bytes = payload.reduce((s, b) => s + Buffer.byteLength(b), 0);
          let failed = false;
          try {
            return await next(args);
          } catch (err) {
            failed = true;
            throw err;
          } finally {
            record({
              fn,
              service: "SQS",
              op,
              purpose: "",
              failed,
              readUnits: 0,
              writeUnits: 0,
              billedRequests: Math.max(1, Math.ceil(bytes / 65_536)),
            });
          }
        },
        { step: "initialize", name: "benchCostCounter" },
      );
    },
    keyProvider: (inner: KeyProvider, fn): KeyProvider => {
      const counted = (op: string) =>
        record({ fn, service: "KMS", op, purpose: "", failed: false, readUnits: 0, writeUnits: 0, billedRequests: 1 });
      return {
        generateDataKey: (context) => {
          counted("GenerateDataKey");
          return inner.generateDataKey(context);
        },
        decryptDataKey: (wrapped, context) => {
          counted("Decrypt");
          return inner.decryptDataKey(wrapped, context);
        },
      };
    },
  });

  // As the prod stage runs: its log level, metrics on (EMF lines are log bytes too).
  process.env.POWERTOOLS_LOG_LEVEL = STAGES.prod?.logLevel ?? "INFO";
  process.env.POWERTOOLS_METRICS_DISABLED = "false";
  const invocations = new Map<FunctionName, number[]>();
  let measuring = false;
  const { stack, slack } = await startStackWithFakeSlack({
    dynamodbEndpoint: opts.dynamodbEndpoint,
    sqsEndpoint: opts.sqsEndpoint,
    credentials: opts.credentials,
    name: "bench-cost",
    channelIntervalMs: 1000,
    env: { DATA_KEY_CACHE: opts.dataKeyCache },
    onInvocation: (fn, ms) => {
      if (measuring) invocations.set(fn, [...(invocations.get(fn) ?? []), ms]);
    },
  });
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient(emulatorClientConfig(opts.dynamodbEndpoint, opts.credentials)),
  );
  try {
    const call = async (method: string, path: string, token: string, body?: unknown) => {
      const res = await fetch(`${stack.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = (await res.json()) as Record<string, unknown>;
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const ws = await call("POST", "/v1/workspaces", stack.adminToken, { name: "cost" });
    const token = ws.token as string;
    const workspaceId = ws.workspace_id as string;
    const base = `/v1/workspaces/${workspaceId}`;
    await call("PUT", `${base}/integrations/slack`, token, {
      bot_token: "xoxb-cost-model-1",
      threads: opts.threads,
      channels: Array.from({ length: opts.channels }, (_, i) => ({
        name: `#cost-${i}`,
        conditions: [{ key: "shard", operator: "In", values: [String(i)] }],
      })),
    });

    // The local stack hands the handlers their table in the environment, as Lambda does.
    const tableName = process.env.TABLE_NAME as string;
    const notifications = async () => {
      const items: Record<string, unknown>[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await doc.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: "pk = :pk AND begins_with(sk, :p)",
            ExpressionAttributeValues: { ":pk": `WS#${workspaceId}`, ":p": "NOTIF#" },
            ExclusiveStartKey: start,
          }),
        );
        items.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start);
      return items;
    };
    const settle = async (expected: number) => {
      const until = Date.now() + 120_000;
      for (;;) {
        const all = await notifications();
        if (all.length >= expected && all.every((n) => n.status !== "pending")) return all;
        if (Date.now() > until) throw new Error(`notifications still pending after 120 s`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const send = async (count: number, offset: number) => {
      let bytes = 0;
      for (let i = 0; i < count; i++) {
        const started = Date.now();
        const event = eventOfSize(
          offset + i,
          opts.channels,
          2048,
          upgradeOf(offset + i, opts.channels, opts.eventsPerUpgrade),
        );
        bytes = Buffer.byteLength(JSON.stringify(event));
        const res = await call("POST", `${base}/events`, token, event);
        if ((res.notifications as unknown[]).length !== 1) throw new Error(`event ${i}: ${JSON.stringify(res)}`);
        await new Promise((r) => setTimeout(r, Math.max(0, opts.gapMs - (Date.now() - started))));
      }
      return bytes;
    };

    // Warm-up: one event per channel, so the containers' first requests (and the first unwrap) stay out of the figures.
    await send(opts.channels, 0);
    await settle(opts.channels);
    // The pace record is written after the outcome: let the warm-up's last writes land before the window opens.
    await new Promise((r) => setTimeout(r, 500));
    const warmupCalls = [...lines.values()];
    lines.clear();

    let logBytes = 0;
    const writes = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
    const counting =
      (write: typeof process.stdout.write) =>
      (chunk: string | Uint8Array, ...rest: never[]): boolean => {
        logBytes += typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.byteLength;
        return write(chunk, ...rest);
      };
    process.stdout.write = counting(writes.out) as typeof process.stdout.write;
    process.stderr.write = counting(writes.err) as typeof process.stderr.write;
    measuring = true;
    let eventBytes: number;
    let all: Record<string, unknown>[];
    try {
      eventBytes = await send(opts.events, opts.channels);
      all = await settle(opts.channels + opts.events);
      // The outcome's writes follow Slack's answer: let the last invocations finish before counting stops.
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      measuring = false;
      process.stdout.write = writes.out;
      process.stderr.write = writes.err;
    }

    const index = (n: Record<string, unknown>) => Number(/^cost-(\d+)-/.exec(String(n.event_id))?.[1] ?? -1);
    const measured = all.filter((n) => index(n) >= opts.channels);
    const sample = measured.slice(0, 20);
    const events = await Promise.all(
      sample.map(async (n) => {
        const page = await doc.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: "pk = :pk AND sk = :sk",
            ExpressionAttributeValues: { ":pk": `WS#${workspaceId}`, ":sk": `EVENT#${String(n.event_id)}` },
          }),
        );
        return page.Items?.[0] ?? {};
      }),
    );
    const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

    return {
      dataKeyCache: opts.dataKeyCache,
      threads: opts.threads,
      eventsPerUpgrade: opts.eventsPerUpgrade,
      events: opts.events,
      eventBytes,
      channels: opts.channels,
      gapMs: opts.gapMs,
      calls: [...lines.values()],
      warmupCalls,
      invocations: Object.fromEntries([...invocations].map(([fn, ms]) => [fn, stats(ms)])),
      logBytes,
      storedBytes: { event: mean(events.map(itemBytes)), notification: mean(sample.map(itemBytes)) },
      delivered: measured.filter((n) => n.status === "delivered").length,
    };
  } finally {
    doc.destroy();
    await stack.stop();
    await slack.stop();
  }
}
