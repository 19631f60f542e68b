/**
 * The cost model: what one million notifications cost on AWS, from what the code does (counted on the local stack by
 * bench/cost-measure.ts) times list prices (bench/prices.ts). One channel per event, 2 KB events, the delivery
 * function's data-key cache on and off. Part of `npm run bench`; alone: `npx tsx bench/cost.ts`.
 *
 * Counted: every DynamoDB, SQS and KMS request the handler modules make (DynamoDB with its consumed capacity).
 * Modelled, because AWS makes those requests, not our code: API Gateway, Lambda invocations and duration (from the
 * measured handler times), the pipe, the pipe's and the event source mapping's SQS requests, X-Ray traces, logs.
 */
import { DATA_KEY_CACHE, DELIVERY, MEMORY_MB } from "../functions/core/operational";
import { STAGES } from "../lib/stage-config";
import type { LocalAwsCredentials } from "../local/data-dir";
import { newLocalCredentials } from "../local/data-dir";
import { freePort, startDynamoDbLocal, startSqsEmulator } from "../local/emulators";
import type { FunctionName } from "../functions/adapters/client-hooks";
import { resultOfChild } from "./child";
import { type CallLine, type CostRun, type CostRunOptions, runCost } from "./cost-measure";
import { type Price, PRICES, PRICES_READ_ON, PRICES_REGION, type PriceName } from "./prices";

/** The target the issue sets, in dollars per million notifications. */
export const COST_TARGET_USD_PER_MILLION = 6;

/**
 * Assumptions, each named where it is used and printed with the figures. None is measured; each is a bound or a
 * stated scenario.
 */
export const ASSUMPTIONS = {
  /** X-Ray's default sampling (first request each second, 5% of the rest) makes its cost depend on the rate. */
  notificationsPerMonth: 10_000_000,
  /** Lambda's platform.start and platform.report lines per invocation in JSON log format; not produced locally. */
  platformLogBytesPerInvocation: 500,
  /** Each invocation's own trace: HTTP APIs do not trace, and a queue message starts a new trace per invocation. */
  tracedFunctions: ["authorizer", "api", "delivery"] as FunctionName[],
  /**
   * Authorizer invocations per event without its cache: 1, the local HTTP server's behaviour, and the headline's upper
   * bound. API Gateway caches an answer per token for the prod stage's `authorizerCacheSeconds`; the total "with the
   * authorizer's cache" counts one invocation per token per cache period, for `engineTokens` tokens posting events.
   */
  authorizerPerEvent: 1,
  engineTokens: 1,
  /** The pipe forwards a batch per request (per 64 KB after filtering); at low rates a batch holds one record. */
  pipeRequestsPerNotification: 1,
  /** The pipe's SendMessage to the queue, one per notification (batched ones would be fewer). */
  pipeSendsPerNotification: 1,
} as const;

const SECONDS_PER_MONTH = 30.44 * 86_400;
const GIB = 1024 ** 3;

export interface CostLine {
  service: string;
  what: string;
  /** How many `unit` per notification. */
  perNotification: number;
  unit: string;
  usdPerMillion: number;
  basis: "counted" | "modelled" | "assumption" | "floor";
}

const usd = (name: PriceName, units: number) => PRICES[name].usd * units * 1_000_000;

/** X-Ray traces per notification for one function invoked `perNotification` times per notification. */
export function tracesPerNotification(perNotification: number, notificationsPerMonth: number) {
  const notificationRate = notificationsPerMonth / SECONDS_PER_MONTH;
  const rate = perNotification * notificationRate;
  const sampled = Math.min(rate, 1) + 0.05 * Math.max(0, rate - 1);
  return sampled / notificationRate;
}

export interface PriceOptions {
  notificationsPerMonth?: number;
  /** X-Ray active tracing on the functions: the prod stage's setting unless asked otherwise (`-c tracing=on`). */
  tracing?: boolean;
  /** Count the authorizer as API Gateway's cache has it run (authorizerInvocationsPerEvent), not once per event. */
  authorizerCached?: boolean;
}

/**
 * Authorizer invocations per event with API Gateway's cache: one per token and cache period (the prod stage's
 * `authorizerCacheSeconds`), at most one per event. A cache entry can also be lost early; this is the cache as
 * configured, beside the uncached upper bound.
 */
export function authorizerInvocationsPerEvent(
  notificationsPerMonth: number,
  tokens: number = ASSUMPTIONS.engineTokens,
) {
  const periodsPerMonth = SECONDS_PER_MONTH / (STAGES.prod?.authorizerCacheSeconds ?? 300);
  return Math.min(1, (tokens * periodsPerMonth) / notificationsPerMonth);
}

/** Prices one run (cache on or off) per million notifications, line by line. */
export function priceRun(run: CostRun, opts: PriceOptions = {}): CostLine[] {
  const notificationsPerMonth = opts.notificationsPerMonth ?? ASSUMPTIONS.notificationsPerMonth;
  const tracing = opts.tracing ?? STAGES.prod?.tracing ?? true;
  const authorizerShare = opts.authorizerCached
    ? authorizerInvocationsPerEvent(notificationsPerMonth) / ASSUMPTIONS.authorizerPerEvent
    : 1;
  const n = run.events;
  const lines: CostLine[] = [];
  for (const c of run.calls) {
    const what = `${c.fn}: ${c.op}${c.purpose ? ` ${c.purpose}` : ""}`;
    const units = `${(c.readUnits / c.calls).toFixed(1)} RRU, ${(c.writeUnits / c.calls).toFixed(1)} WRU each`;
    // The authorizer's requests happen once per invocation of it, so its cache removes them with the invocations.
    const share = c.fn === "authorizer" ? authorizerShare : 1;
    lines.push({
      service: c.service,
      what: c.service === "DynamoDB" ? `${what} (${units})` : what,
      perNotification: (share * c.calls) / n,
      unit: "requests",
      usdPerMillion:
        share *
        (c.service === "DynamoDB"
          ? usd("dynamodbReadUnit", c.readUnits / n) + usd("dynamodbWriteUnit", c.writeUnits / n)
          : c.service === "SQS"
            ? usd("sqsFifoRequest", c.billedRequests / n)
            : usd("kmsRequest", c.calls / n)),
      basis: "counted",
    });
  }
  if (run.dataKeyCache === "on") {
    // Every key goes back to KMS after its 1,000th use at the latest: the floor, whatever the traffic.
    const counted = run.calls.filter((c) => c.fn === "delivery" && c.op === "Decrypt").reduce((s, c) => s + c.calls, 0);
    const floor = 1 / DATA_KEY_CACHE.maxUses - counted / n;
    if (floor > 0)
      lines.push({
        service: "KMS",
        what: `delivery: Decrypt, the cache's refill after ${DATA_KEY_CACHE.maxUses} uses (at most 1 per ${DATA_KEY_CACHE.maxAgeMs / 60_000} min per credential and container)`,
        perNotification: floor,
        unit: "requests",
        usdPerMillion: usd("kmsRequest", floor),
        basis: "assumption",
      });
  }

  const perEvent = (fn: FunctionName) => (run.invocations[fn]?.count ?? 0) / n;
  const invocations: Record<FunctionName, number> = {
    authorizer: ASSUMPTIONS.authorizerPerEvent * authorizerShare,
    api: perEvent("api"),
    delivery: perEvent("delivery"),
  };
  lines.push({
    service: "API Gateway",
    what: "HTTP API request per event (a 2 KB body is one 512 KB increment)",
    perNotification: 1,
    unit: "requests",
    usdPerMillion: usd("httpApiRequest", 1),
    basis: "modelled",
  });
  for (const fn of ["authorizer", "api", "delivery"] as const) {
    const s = run.invocations[fn];
    const billedSecondsPerInvocation = s && s.count ? s.billedMs / s.count / 1000 : 0;
    const gbSeconds = invocations[fn] * billedSecondsPerInvocation * (MEMORY_MB[fn] / 1024);
    lines.push({
      service: "Lambda",
      what: `${fn}: invocations${fn !== "authorizer" ? "" : opts.authorizerCached ? ` (cached ${STAGES.prod?.authorizerCacheSeconds ?? 300} s per token, ${ASSUMPTIONS.engineTokens} token)` : " (uncached upper bound)"}`,
      perNotification: invocations[fn],
      unit: "invocations",
      usdPerMillion: usd("lambdaRequest", invocations[fn]),
      basis: fn === "authorizer" ? "assumption" : "modelled",
    });
    lines.push({
      service: "Lambda",
      what: `${fn}: duration, ${(billedSecondsPerInvocation * 1000).toFixed(1)} ms billed × ${MEMORY_MB[fn]} MB (measured locally)`,
      perNotification: gbSeconds,
      unit: "GB-s",
      usdPerMillion: usd("lambdaArmGbSecond", gbSeconds),
      basis: "modelled",
    });
  }
  lines.push({
    service: "EventBridge Pipes",
    what: "stream record forwarded to the queue (batch of one)",
    perNotification: ASSUMPTIONS.pipeRequestsPerNotification,
    unit: "requests",
    usdPerMillion: usd("pipesRequest", ASSUMPTIONS.pipeRequestsPerNotification),
    basis: "assumption",
  });
  lines.push({
    service: "SQS",
    what: "pipe: SendMessage to the FIFO queue",
    perNotification: ASSUMPTIONS.pipeSendsPerNotification,
    unit: "requests",
    usdPerMillion: usd("sqsFifoRequest", ASSUMPTIONS.pipeSendsPerNotification),
    basis: "assumption",
  });
  lines.push({
    service: "SQS",
    what: "event source mapping: ReceiveMessage and DeleteMessageBatch, one each per delivery invocation",
    perNotification: 2 * invocations.delivery,
    unit: "requests",
    usdPerMillion: usd("sqsFifoRequest", 2 * invocations.delivery),
    basis: "modelled",
  });
  if (tracing) {
    const traces = ASSUMPTIONS.tracedFunctions.reduce(
      (s, fn) => s + tracesPerNotification(invocations[fn], notificationsPerMonth),
      0,
    );
    lines.push({
      service: "X-Ray",
      what: `traces (Tracing.ACTIVE, default sampling, at ${(notificationsPerMonth / 1e6).toFixed(0)} M notifications a month)`,
      perNotification: traces,
      unit: "traces",
      usdPerMillion: usd("xrayTrace", traces),
      basis: "modelled",
    });
  }
  const allInvocations = invocations.authorizer + invocations.api + invocations.delivery;
  const handlerLogBytes = run.logBytes / n;
  const platformLogBytes = allInvocations * ASSUMPTIONS.platformLogBytesPerInvocation;
  lines.push({
    service: "CloudWatch Logs",
    what: `ingestion: ${handlerLogBytes.toFixed(0)} B of handler logs and EMF metrics (measured) + ${platformLogBytes.toFixed(0)} B of Lambda platform lines (assumed)`,
    perNotification: handlerLogBytes + platformLogBytes,
    unit: "bytes",
    usdPerMillion: usd("logsIngestGb", (handlerLogBytes + platformLogBytes) / GIB),
    basis: "modelled",
  });
  const retentionMonths = (STAGES.prod?.notificationRetentionDays ?? 90) / 30.44;
  const storedGb = (run.storedBytes.event + run.storedBytes.notification) / GIB;
  lines.push({
    service: "DynamoDB",
    what: `storage: event + notification items (${(run.storedBytes.event + run.storedBytes.notification).toFixed(0)} B) kept ${STAGES.prod?.notificationRetentionDays ?? 90} days, table and point-in-time backup`,
    perNotification: storedGb * retentionMonths * GIB,
    unit: "byte-months",
    usdPerMillion:
      usd("dynamodbStorageGbMonth", storedGb * retentionMonths) +
      usd("dynamodbPitrGbMonth", storedGb * retentionMonths),
    basis: "modelled",
  });
  return lines;
}

/**
 * What the design costs before any code runs, per notification (one channel per event): the requests that contract
 * and design fix, at full batches or at the measured ones, and nothing for storage, logs or compute. The headroom
 * below the target is what those three, and every request the code could still save, must fit in.
 */
export function designFloor(opts: { perBatch: number; deliveryInvocations?: number }): CostLine[] {
  const { perBatch } = opts;
  const batchLines = 1 / perBatch;
  const delivery = opts.deliveryInvocations ?? batchLines;
  const authorizer = authorizerInvocationsPerEvent(ASSUMPTIONS.notificationsPerMonth);
  const line = (service: string, what: string, perNotification: number, unit: string, price: PriceName) => ({
    service,
    what,
    perNotification,
    unit,
    usdPerMillion: usd(price, perNotification),
    basis: "floor" as const,
  });
  return [
    line("API Gateway", "the engine's POST of the event (contract §1)", 1, "requests", "httpApiRequest"),
    line("Lambda", "api: the invocation that accepts it", 1, "invocations", "lambdaRequest"),
    line("Lambda", "authorizer: its token check, cached per token", authorizer, "invocations", "lambdaRequest"),
    line("Lambda", `delivery: one invocation per batch of ${perBatch}`, delivery, "invocations", "lambdaRequest"),
    line(
      "EventBridge Pipes",
      `stream to queue, batches of ${perBatch} (the outbox)`,
      batchLines,
      "requests",
      "pipesRequest",
    ),
    line(
      "SQS",
      "the pipe's send, the mapping's receive and delete, in batches",
      batchLines + 2 * delivery,
      "requests",
      "sqsFifoRequest",
    ),
    line(
      "DynamoDB",
      "writes: the event's record (a repeat is 200, another payload 409), the notification (the log, the outbox's commit point), the attempt before the post (3 attempts across crashes, `uncertain`), the outcome, the channel's last post (the interval across instances)",
      5,
      "WRU",
      "dynamodbWriteUnit",
    ),
    line(
      "DynamoDB",
      "reads: the integration at accept (eventually consistent, 0.5), the notification and the channel's last post at delivery (strongly consistent, 1 each), the integration and the event at delivery (0.5 each); the token check's with the authorizer",
      3.5 + authorizer,
      "RRU",
      "dynamodbReadUnit",
    ),
  ];
}

const SERVICES = [
  "DynamoDB",
  "SQS",
  "KMS",
  "Lambda",
  "API Gateway",
  "EventBridge Pipes",
  "X-Ray",
  "CloudWatch Logs",
] as const;
const byService = (lines: CostLine[]) =>
  Object.fromEntries(
    SERVICES.map((s) => [s, lines.filter((l) => l.service === s).reduce((a, l) => a + l.usdPerMillion, 0)]),
  );
const total = (lines: CostLine[]) => lines.reduce((a, l) => a + l.usdPerMillion, 0);
const money = (x: number) => `$${x.toFixed(x < 0.1 ? 3 : 2)}`;
const per = (x: number) => (x >= 0.1 ? x.toFixed(2) : x.toPrecision(2));

export interface CostRuns {
  /** Threads off: one post per event (the issue's scenario), data-key cache on and off. */
  on: CostRun;
  off: CostRun;
  /** Threads on, upgrades of `eventsPerUpgrade` events per channel, cache on. */
  threaded: CostRun;
}

const scenarioOf = (r: CostRun) =>
  r.threads ? `threads on, ${r.eventsPerUpgrade} events per upgrade` : "threads off (one post per event)";

function printCalls(r: CostRun) {
  const n = r.events;
  console.log(`\nRequests the code makes, ${scenarioOf(r)}, cache ${r.dataKeyCache} (SDK middleware, local stack):\n`);
  console.log("| function | service | operation and what it is for | per notification | RRU / WRU per call |");
  console.log("|---|---|---|---|---|");
  const order = (c: CallLine) => ["authorizer", "api", "delivery"].indexOf(c.fn);
  for (const c of [...r.calls].sort((a, b) => order(a) - order(b) || b.calls - a.calls))
    console.log(
      `| ${c.fn} | ${c.service} | ${c.op}${c.purpose ? ` ${c.purpose}` : ""}${c.failed ? ` (${c.failed} failed)` : ""} | ${per(c.calls / n)} | ${c.service === "DynamoDB" ? `${(c.readUnits / c.calls).toFixed(1)} / ${(c.writeUnits / c.calls).toFixed(1)}` : "-"} |`,
    );
}

/** The printed report: calls per purpose, $ per million by service and by call, the assumptions and the prices. */
export function printCostModel({ on, off, threaded }: CostRuns): void {
  const runs = [on, off, threaded];
  const priced = runs.map((r) => priceRun(r));
  const tracedTotals = runs.map((r) => total(priceRun(r, { tracing: true })));
  const n = on.events;
  console.log(
    `\nCost model: ${n} events of ${on.eventBytes} B, one channel each (${on.channels} channels, one event every ${on.gapMs} ms), after a warm-up of one event per channel; delivered ${runs.map((r) => `${r.delivered}/${r.events}`).join(", ")}. X-Ray as the prod stage has it: ${STAGES.prod?.tracing ? "on" : "off (-c tracing=on for an investigation)"}.`,
  );
  printCalls(on);
  printCalls(threaded);
  const kms = (run: CostRun, calls: CallLine[]) =>
    calls.filter((c) => c.fn === "delivery" && c.service === "KMS").reduce((s, c) => s + c.calls, 0) /
    (calls === run.calls ? run.events : run.channels);
  console.log(
    `\nKMS calls per delivery: cache on ${per(kms(on, on.calls))} (warm-up, the first delivery of each channel: ${per(kms(on, on.warmupCalls))}); cache off ${per(kms(off, off.calls))}.`,
  );

  console.log("\nLambda handler times on the local stack (DynamoDB Local, fake Slack), measured window:\n");
  console.log("| scenario | function | invocations per notification | mean ms | p50 ms | p95 ms | memory |");
  console.log("|---|---|---|---|---|---|---|");
  for (const r of [on, threaded])
    for (const fn of ["authorizer", "api", "delivery"] as const) {
      const s = r.invocations[fn];
      if (s)
        console.log(
          `| ${scenarioOf(r)} | ${fn} | ${per(s.count / r.events)} | ${(s.totalMs / s.count).toFixed(1)} | ${s.p50Ms.toFixed(1)} | ${s.p95Ms.toFixed(1)} | ${MEMORY_MB[fn]} MB |`,
        );
    }

  console.log(`\nDollars per million notifications (${PRICES_REGION} list prices, read ${PRICES_READ_ON}):\n`);
  console.log("| service | threads off, cache on | threads off, cache off | threads on, cache on |");
  console.log("|---|---|---|---|");
  const byS = priced.map(byService);
  for (const s of SERVICES) console.log(`| ${s} | ${byS.map((b) => money(b[s] ?? 0)).join(" | ")} |`);
  const totals = priced.map(total);
  console.log(`| **total** | ${totals.map((t) => `**${money(t)}**`).join(" | ")} |`);
  console.log(`| total with X-Ray tracing on | ${tracedTotals.map(money).join(" | ")} |`);
  const verdict = (t: number) =>
    t <= COST_TARGET_USD_PER_MILLION
      ? `within the $${COST_TARGET_USD_PER_MILLION} target`
      : `over the $${COST_TARGET_USD_PER_MILLION} target by ${money(t - COST_TARGET_USD_PER_MILLION)}`;
  const cachedTotals = runs.map((r) => total(priceRun(r, { authorizerCached: true })));
  console.log(
    `| total with the authorizer's answer cached (${STAGES.prod?.authorizerCacheSeconds ?? 300} s per token, ${ASSUMPTIONS.engineTokens} token, ${(ASSUMPTIONS.notificationsPerMonth / 1e6).toFixed(0)} M a month) | ${cachedTotals.map(money).join(" | ")} |`,
  );
  console.log(
    `\nThreads off, cache on: ${verdict(totals[0] ?? 0)} (authorizer cached: ${verdict(cachedTotals[0] ?? 0)}); threads on: ${verdict(totals[2] ?? 0)}; with tracing on: ${verdict(tracedTotals[0] ?? 0)}.`,
  );

  const floors = [
    {
      label: "batches of one, as measured here",
      lines: designFloor({
        perBatch: 1,
        deliveryInvocations: on.invocations.delivery ? on.invocations.delivery.count / on.events : 1,
      }),
    },
    { label: `full batches of ${DELIVERY.batchSize}`, lines: designFloor({ perBatch: DELIVERY.batchSize }) },
  ];
  console.log(
    "\nThe design's floor: the requests contract and design fix per notification, before storage, logs and compute (threads off):\n",
  );
  console.log(`| service | what | ${floors.map((f) => f.label).join(" | ")} |`);
  console.log(`|---|---|${floors.map(() => "---|").join("")}`);
  (floors[0]?.lines ?? []).forEach((l, i) =>
    console.log(
      `| ${l.service} | ${l.what} | ${floors.map((f) => `${per(f.lines[i]?.perNotification ?? 0)} ${l.unit}, ${money(f.lines[i]?.usdPerMillion ?? 0)}`).join(" | ")} |`,
    ),
  );
  console.log(`| **floor** | | ${floors.map((f) => `**${money(total(f.lines))}**`).join(" | ")} |`);
  console.log(
    `| left under the $${COST_TARGET_USD_PER_MILLION} target for storage, logs and compute | | ${floors
      .map((f) => COST_TARGET_USD_PER_MILLION - total(f.lines))
      .map((left) => (left >= 0 ? money(left) : `none: the floor is ${money(-left)} over`))
      .join(" | ")} |`,
  );
  const storage = priced[0]?.find((l) => l.what.startsWith("storage"))?.usdPerMillion ?? 0;
  const logs = priced[0]?.find((l) => l.service === "CloudWatch Logs")?.usdPerMillion ?? 0;
  console.log(
    `Measured here for those three: storage ${money(storage)} (${STAGES.prod?.notificationRetentionDays ?? 90} days), logs ${money(logs)}, Lambda duration ${money((priced[0] ?? []).filter((l) => l.what.includes("duration")).reduce((a, l) => a + l.usdPerMillion, 0))}.`,
  );

  for (const [r, lines] of [
    [on, priced[0]],
    [threaded, priced[2]],
  ] as const) {
    console.log(`\nBy call, ${scenarioOf(r)}, cache on, most expensive first:\n`);
    console.log("| service | call | per notification | $ per million | basis |");
    console.log("|---|---|---|---|---|");
    for (const l of [...(lines ?? [])].sort((a, b) => b.usdPerMillion - a.usdPerMillion))
      console.log(
        `| ${l.service} | ${l.what} | ${per(l.perNotification)} ${l.unit} | ${money(l.usdPerMillion)} | ${l.basis} |`,
      );
  }

  console.log("\nX-Ray when tracing is on, at other volumes (threads off, cache on; $ per million notifications):");
  for (const volume of [1e6, 1e7, 1e8]) {
    const x = priceRun(on, { notificationsPerMonth: volume, tracing: true }).find((l) => l.service === "X-Ray");
    console.log(`  ${(volume / 1e6).toFixed(0)} M a month: ${money(x?.usdPerMillion ?? 0)}`);
  }
  const deliveryGb = MEMORY_MB.delivery / 1024;
  console.log(
    `Slack's answer time is in the delivery's duration on AWS (the local fake answers at once): each 100 ms adds ${money(usd("lambdaArmGbSecond", 0.1 * deliveryGb))} per million.`,
  );
  console.log(
    "Not in the figures (fixed or time-based, not per notification): KMS keys ($1 a month each), CloudWatch custom metrics and alarms, the pipe's DynamoDB Streams polling, the event source mapping's empty long polls, the KMS calls DynamoDB and SQS make for their own encryption (one per data-key reuse period), init duration of cold starts, free tiers.",
  );
  console.log("\nPrices:");
  for (const p of Object.values(PRICES) as Price[]) {
    const rate = p.usd < 0.01 ? `$${+(p.usd * 1e6).toPrecision(6)} per million` : `$${p.usd} per`;
    console.log(`  ${rate} ${p.unit}: ${p.source}${p.seenAt ? ` (figure as quoted by ${p.seenAt})` : ""}`);
  }
}

/** Runs one measurement in a child process: the handlers read their configuration once, at import. */
const runInChild = (opts: CostRunOptions) =>
  resultOfChild<CostRun>("bench/cost.ts", ["--child", JSON.stringify(opts)], "COST");

/** Both runs, on the given emulators. */
export async function measureCost(emulators: {
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  credentials: LocalAwsCredentials;
}): Promise<CostRuns> {
  const events = Number(process.env.BENCH_COST_EVENTS ?? 100);
  const common = { ...emulators, events, channels: 20, gapMs: 100, threads: false, eventsPerUpgrade: 1 };
  const on = await runInChild({ ...common, dataKeyCache: "on" });
  const off = await runInChild({ ...common, dataKeyCache: "off" });
  const threaded = await runInChild({ ...common, dataKeyCache: "on", threads: true, eventsPerUpgrade: 5 });
  return { on, off, threaded };
}

async function main() {
  const childArg = process.argv.indexOf("--child");
  if (childArg > 0) {
    const result = await runCost(JSON.parse(process.argv[childArg + 1] ?? "{}") as CostRunOptions);
    console.log(`COST ${JSON.stringify(result)}`);
    return;
  }
  const credentials = newLocalCredentials();
  const dynamodb = await startDynamoDbLocal({ port: await freePort(), credentials });
  const sqs = await startSqsEmulator({ port: 0 });
  try {
    const runs = await measureCost({
      dynamodbEndpoint: dynamodb.endpoint,
      sqsEndpoint: sqs.endpoint,
      credentials,
    });
    printCostModel(runs);
  } finally {
    await sqs.stop();
    await dynamodb.stop();
  }
}

// Run directly (or as the child), not when bench/run.ts imports it.
if (process.argv[1]?.endsWith("cost.ts"))
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
