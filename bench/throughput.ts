/**
 * Throughput and isolation of the delivery path through the local stack (API → DynamoDB Local → stream pump →
 * fauxqs FIFO → the poller at the local delivery concurrency → delivery handler → fake Slack). Each scenario runs in
 * its own process (one local stack per process), on emulators the caller started:
 *   - `burst`:   20 channels, a burst of 8 events each, SLACK_CHANNEL_INTERVAL_MS=1000: achieved / allowed rate per
 *                channel (allowed: one post per interval, none before its event was accepted: allowedSpanMs), and
 *                the gaps between two posts to one channel; with the burst accepted while delivery runs, and with
 *                delivery held until it is queued (the delivery path alone), after an unmeasured warm-up burst.
 *   - `burst-slack`: the same with a Slack that takes 150 ms to answer each post (the fake answers at once).
 *   - `hanging`: 5 channels, one of which Slack never answers; events at a gentle rate: accept-to-Slack latency of
 *                the other four.
 *   - `gentle`:  one channel, an event every 1.2 s: accept-to-Slack latency.
 *   - `threads`: an upgrade of five events as one thread: the Slack calls it costs and the smallest gap between two;
 *                then, an event every 2.5 s, a later reply's accept-to-Slack latency beside a standalone post's on
 *                another channel at the same rate.
 */
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { type LocalAwsCredentials, newLocalCredentials } from "../local/data-dir";
import { emulatorClientConfig, freePort, startDynamoDbLocal, startSqsEmulator } from "../local/emulators";
import { DELIVERY } from "../functions/core/operational";
import { queuePlaceKey, recordQueuePlaces, startStackWithFakeSlack } from "../test/fixtures/stack-with-fake-slack";
import { benchWorkspace } from "./api";
import { resultOfChild } from "./child";

export type Scenario = "burst" | "burst-slack" | "hanging" | "gentle" | "threads";
/** Slack's answer time in the `burst-slack` scenario: about what chat.postMessage takes from AWS. */
const SLACK_ANSWER_MS = 150;
interface Emulators {
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  credentials: LocalAwsCredentials;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withStack<T>(
  emulators: Emulators,
  channels: string[],
  fn: (ctx: {
    post(channel: number, id: string): Promise<number>;
    slack: Awaited<ReturnType<typeof startStackWithFakeSlack>>["slack"];
    stack: Awaited<ReturnType<typeof startStackWithFakeSlack>>["stack"];
    /** Each queue message's place in its FIFO group (SequenceNumber), by event and channel (queuePlaceKey). */
    sequence: Map<string, bigint>;
  }) => Promise<T>,
): Promise<T> {
  const sequence = new Map<string, bigint>();
  const { stack, slack } = await startStackWithFakeSlack({
    ...emulators,
    name: "bench-tp",
    channelIntervalMs: 1000,
    env: { SLACK_TIMEOUT_MS: "10000" },
    onInvocation: recordQueuePlaces(sequence),
  });
  try {
    const { base, call } = await benchWorkspace(stack, channels);
    const post = async (channel: number, id: string) => {
      const res = await call("POST", `${base}/events`, {
        event_id: id,
        type: "execution_started",
        cluster: { name: id },
        labels: { shard: String(channel) },
        data: { execution_id: id, current_version: "1.29", target_version: "1.30" },
      });
      if ((res.notifications as unknown[] | undefined)?.length !== 1)
        throw new Error(`not accepted: ${JSON.stringify(res)}`);
      return Date.now();
    };
    return await fn({ post, slack, stack, sequence });
  } finally {
    await stack.stop();
    await slack.stop();
  }
}

/** When each event reached Slack, by the event id in its text (the cluster name). */
const arrivals = (slack: { requests: { at: number; body: Record<string, unknown> }[] }) => {
  const at = new Map<string, number>();
  for (const r of slack.requests) {
    const id = /tp-[\w-]+/.exec(String(r.body.text))?.[0];
    if (id && !at.has(id)) at.set(id, r.at);
  }
  return at;
};

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number) {
  const until = Date.now() + timeoutMs;
  while (!(await check()) && Date.now() < until) await sleep(50);
  if (!(await check())) throw new Error("timed out waiting for deliveries");
}

/**
 * What Slack's pace allows a channel: each post one interval after the one before, and none before its event was
 * there to post (`readyAt`: when the API accepted it, or when its message reached the queue; the local API takes the
 * burst's 160 requests over a few seconds on two cores, so a channel's later events can arrive after its first post).
 * The allowed span is that schedule's, from the channel's actual first post.
 */
function allowedSpanMs(firstPostAt: number, readyAt: number[], intervalMs: number): number {
  let at = firstPostAt;
  for (const ready of readyAt.slice(1)) at = Math.max(ready, at + intervalMs);
  return at - firstPostAt;
}

/** Messages on the delivery queue, visible or not (the emulator counts exactly). */
async function queued(sqs: SQSClient, queueUrl: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  const a = out.Attributes ?? {};
  return Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0);
}

/**
 * The burst with a Slack that answers each post after `slackAnswerMs`, as Slack does (the fake answers at once). Three
 * rounds on one stack, a second apart: one unmeasured (DynamoDB Local's JVM and this process's code warm up, as they
 * are on AWS after the first requests); one with the burst accepted while delivery runs, on the same two cores and the
 * same event loop (on AWS the API and the delivery function share neither); one with delivery held until the whole
 * burst is accepted and queued, then released: the delivery path alone.
 */
async function burst(emulators: Emulators, slackAnswerMs = 0) {
  const CHANNELS = 20;
  const PER_CHANNEL = 8;
  const INTERVAL_MS = 1000;
  const names = Array.from({ length: CHANNELS }, (_, i) => `#tp-${i}`);
  return withStack(emulators, names, async ({ post, slack, stack, sequence }) => {
    slack.answerDelayMs = slackAnswerMs;
    const round = async (tag: string, held: boolean) => {
      const accepted = new Map<string, number>();
      const id = (c: number, k: number) => `tp-${tag}-${c}-${k}`;
      const before = slack.requests.length;
      if (held) stack.holdDelivery();
      await Promise.all(
        names.flatMap((_, c) =>
          Array.from({ length: PER_CHANNEL }, async (_, k) => accepted.set(id(c, k), await post(c, id(c, k)))),
        ),
      );
      if (held) {
        const sqs = new SQSClient(emulatorClientConfig(emulators.sqsEndpoint, emulators.credentials));
        try {
          await waitFor(async () => (await queued(sqs, stack.deliveryQueueUrl)) >= CHANNELS * PER_CHANNEL, 60_000);
        } finally {
          sqs.destroy();
        }
        stack.releaseDelivery();
      }
      await waitFor(() => slack.requests.length - before >= CHANNELS * PER_CHANNEL, 120_000);
      const perChannel = names.map((name, c) => {
        const posts = slack
          .posts(name)
          .filter((r) => String(r.body.text).includes(`tp-${tag}-`))
          .sort((a, b) => a.at - b.at);
        const times = posts.map((r) => r.at);
        // Posted in the order of the channel's messages in the queue (which is the order the service accepted them).
        const places = posts.map(
          (r) => sequence.get(queuePlaceKey(/tp-[\w-]+/.exec(String(r.body.text))?.[0] ?? "", name)) ?? -1n,
        );
        const outOfOrder = places.slice(1).filter((p, i) => p < (places[i] as bigint)).length;
        // A channel's events were sent at once, so the service accepted them in some order; it posts them in that
        // order (contract section 4): the i-th post is the i-th accepted event's.
        const readyAt = Array.from({ length: PER_CHANNEL }, (_, k) => accepted.get(id(c, k)) as number).sort(
          (a, b) => a - b,
        );
        const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
        const span = (times[times.length - 1] as number) - (times[0] as number);
        return { ratio: allowedSpanMs(times[0] as number, readyAt, INTERVAL_MS) / span, gaps, outOfOrder };
      });
      const ratios = perChannel.map((c) => c.ratio);
      const gaps = perChannel.flatMap((c) => c.gaps);
      return {
        outOfOrder: perChannel.reduce((n, c) => n + c.outOfOrder, 0),
        ratioMin: Math.min(...ratios),
        ratioMedian: pct(ratios, 50),
        minGapMs: Math.min(...gaps),
        gapP50Ms: pct(gaps, 50),
        gapP90Ms: pct(gaps, 90),
      };
    };
    await round("warm", false);
    await sleep(INTERVAL_MS);
    const alongside = await round("a", false);
    await sleep(INTERVAL_MS);
    const alone = await round("b", true);
    return {
      scenario: slackAnswerMs ? "burst-slack" : "burst",
      slackAnswerMs,
      concurrency: DELIVERY.localConcurrency,
      channels: CHANNELS,
      perChannel: PER_CHANNEL,
      ...alongside,
      ...Object.fromEntries(Object.entries(alone).map(([k, v]) => [`alone${k[0]?.toUpperCase()}${k.slice(1)}`, v])),
    };
  });
}

async function hanging(emulators: Emulators) {
  const names = ["#tp-hang", "#tp-ok-1", "#tp-ok-2", "#tp-ok-3", "#tp-ok-4"];
  return withStack(emulators, names, async ({ post, slack }) => {
    slack.hanging.add("#tp-hang");
    const accepted = new Map<string, number>();
    for (let round = 0; round < 12; round++) {
      await Promise.all(
        names.map(async (_, c) => {
          const id = `tp-${c}-${round}`;
          accepted.set(id, await post(c, id));
        }),
      );
      await sleep(1500);
    }
    const healthy = [...accepted.keys()].filter((id) => !id.startsWith("tp-0-"));
    const at = arrivals(slack);
    await waitFor(() => healthy.every((id) => at.has(id) || arrivals(slack).has(id)), 60_000);
    const final = arrivals(slack);
    const latencies = healthy.map((id) => (final.get(id) as number) - (accepted.get(id) as number));
    return {
      scenario: "hanging",
      healthyPosts: latencies.length,
      p50: pct(latencies, 50),
      p99: pct(latencies, 99),
      max: Math.max(...latencies),
    };
  });
}

async function gentle(emulators: Emulators) {
  return withStack(emulators, ["#tp-gentle"], async ({ post, slack }) => {
    const accepted = new Map<string, number>();
    for (let i = 0; i < 20; i++) {
      const id = `tp-0-${i}`;
      accepted.set(id, await post(0, id));
      await sleep(1200);
    }
    await waitFor(() => arrivals(slack).size >= 20, 30_000);
    const at = arrivals(slack);
    const latencies = [...accepted].map(([id, t]) => (at.get(id) as number) - t);
    return { scenario: "gentle", events: latencies.length, p50: pct(latencies, 50), p99: pct(latencies, 99) };
  });
}

async function threads(emulators: Emulators) {
  const { stack, slack } = await startStackWithFakeSlack({
    ...emulators,
    name: "bench-th",
    channelIntervalMs: 1000,
    env: { SLACK_TIMEOUT_MS: "10000" },
  });
  try {
    const threaded = await benchWorkspace(stack, ["#th-upgrade", "#th-replies"], { threads: true });
    const standalone = await benchWorkspace(stack, ["#th-standalone"]);
    const versions = { current_version: "1.29", target_version: "1.30" };
    const event = (id: string, shard: number, upgrade: string, type: string, data: Record<string, unknown>) => ({
      event_id: id,
      type,
      upgrade_id: upgrade,
      cluster: { name: id },
      labels: { shard: String(shard) },
      data: { ...versions, ...data },
    });
    const steps: [string, Record<string, unknown>][] = [
      ["scan_completed", { risk_score: 40 }],
      ["upgrade_scheduled", { risk_score: 40, maintenance_window: { start: "a", end: "b" } }],
      ["execution_started", { execution_id: "x1" }],
      [
        "execution_completed",
        { execution_id: "x1", duration_seconds: 60, rollback_status: "none", confidence_score: 90 },
      ],
      ["scan_completed", { risk_score: 20 }],
    ];
    // In accept order: each post answers before the next is sent.
    for (const [i, [type, data]] of steps.entries())
      await threaded.call("POST", `${threaded.base}/events`, event(`th-u-${i}`, 0, "upg-bench", type, data));
    const upgradeCalls = () => [...slack.posts("#th-upgrade"), ...slack.updates("#th-upgrade")];
    await waitFor(() => upgradeCalls().length >= 10, 60_000);
    await sleep(3000);
    const calls = upgradeCalls().sort((a, b) => a.at - b.at);
    const kinds = calls.map((c) => (c.path.endsWith("chat.update") ? "update" : c.body.thread_ts ? "reply" : "status"));
    const gaps = calls.slice(1).map((c, i) => c.at - (calls[i] as { at: number }).at);

    const accepted = new Map<string, number>();
    for (let i = 0; i < 12; i++) {
      const started = { execution_id: "x-lat" };
      await threaded.call(
        "POST",
        `${threaded.base}/events`,
        event(`th-r-${i}`, 1, "upg-latency", "execution_started", started),
      );
      accepted.set(`th-r-${i}`, Date.now());
      await standalone.call(
        "POST",
        `${standalone.base}/events`,
        event(`th-s-${i}`, 0, "upg-none", "execution_started", started),
      );
      accepted.set(`th-s-${i}`, Date.now());
      await sleep(2500);
    }
    const arrived = (channel: string, prefix: string, replyOnly: boolean) => {
      const at = new Map<string, number>();
      for (const r of slack.posts(channel)) {
        if (replyOnly && !r.body.thread_ts) continue;
        const id = new RegExp(`${prefix}-\\d+`).exec(String(r.body.text))?.[0];
        if (id && !at.has(id)) at.set(id, r.at);
      }
      return at;
    };
    await waitFor(
      () => arrived("#th-replies", "th-r", true).size >= 12 && arrived("#th-standalone", "th-s", false).size >= 12,
      60_000,
    );
    const replies = arrived("#th-replies", "th-r", true);
    const posts = arrived("#th-standalone", "th-s", false);
    const latency = (at: Map<string, number>, ids: string[]) =>
      ids.map((id) => (at.get(id) as number) - (accepted.get(id) as number));
    // The first event of a thread waits one interval between its status message and its reply, by design.
    const later = latency(
      replies,
      Array.from({ length: 11 }, (_, i) => `th-r-${i + 1}`),
    );
    const alone = latency(
      posts,
      Array.from({ length: 11 }, (_, i) => `th-s-${i + 1}`),
    );
    return {
      scenario: "threads",
      calls: calls.length,
      statusPosts: kinds.filter((k) => k === "status").length,
      replies: kinds.filter((k) => k === "reply").length,
      updates: kinds.filter((k) => k === "update").length,
      minGapMs: Math.min(...gaps),
      replyP50: pct(later, 50),
      replyP99: pct(later, 99),
      standaloneP50: pct(alone, 50),
      standaloneP99: pct(alone, 99),
    };
  } finally {
    await stack.stop();
    await slack.stop();
  }
}

const SCENARIOS = {
  burst: (e: Emulators) => burst(e),
  "burst-slack": (e: Emulators) => burst(e, SLACK_ANSWER_MS),
  hanging,
  gentle,
  threads,
};

/** Runs one scenario in a child process and returns what it measured. */
export const runScenario = (scenario: Scenario, emulators: Emulators) =>
  resultOfChild<Record<string, number | string>>(
    "bench/throughput.ts",
    [scenario, JSON.stringify(emulators)],
    "RESULT",
  );

/** The README's table of what runAll measured. */
export function printThroughput(results: Record<string, number | string>[]) {
  const get = (name: string) => results.find((r) => r.scenario === name) ?? {};
  const f = (v: unknown, digits = 0) => (typeof v === "number" ? v.toFixed(digits) : "?");
  const burst = get("burst");
  const hang = get("hanging");
  const gentle = get("gentle");
  console.log("\n| throughput (bench/throughput.ts) | figure |\n|---|---|");
  console.log(
    `| 20 channels x 8 events, interval 1 s, delivery concurrency ${burst.concurrency}: achieved / allowed rate per channel (none before its event was accepted), min / median | ${f(burst.ratioMin, 3)} / ${f(burst.ratioMedian, 3)} |`,
  );
  console.log(
    `| same: gap between two posts to one channel, smallest / p50 / p90 | ${f(burst.minGapMs)} / ${f(burst.gapP50Ms)} / ${f(burst.gapP90Ms)} ms |`,
  );
  console.log(
    `| same, delivery held until the burst was accepted and queued (the delivery path alone), min / median; gap smallest / p50 / p90 | ${f(burst.aloneRatioMin, 3)} / ${f(burst.aloneRatioMedian, 3)}; ${f(burst.aloneMinGapMs)} / ${f(burst.aloneGapP50Ms)} / ${f(burst.aloneGapP90Ms)} ms |`,
  );
  console.log(
    `| same, both ways: posts out of their channel's queue order | ${f(burst.outOfOrder)} and ${f(burst.aloneOutOfOrder)} of ${f(Number(burst.channels) * Number(burst.perChannel))} each |`,
  );
  const slow = get("burst-slack");
  console.log(
    `| same burst, Slack answering each post after ${f(slow.slackAnswerMs)} ms: achieved / allowed rate, min / median; gap p50 / p90 | ${f(slow.ratioMin, 2)} / ${f(slow.ratioMedian, 2)}; ${f(slow.gapP50Ms)} / ${f(slow.gapP90Ms)} ms |`,
  );
  console.log(
    `| same, delivery alone: achieved / allowed rate, min / median; gap p50 / p90 | ${f(slow.aloneRatioMin, 2)} / ${f(slow.aloneRatioMedian, 2)}; ${f(slow.aloneGapP50Ms)} / ${f(slow.aloneGapP90Ms)} ms |`,
  );
  console.log(
    `| one of 5 channels hanging: the other 4 channels' accept-to-Slack p50 / p99 / max | ${f(hang.p50)} / ${f(hang.p99)} / ${f(hang.max)} ms |`,
  );
  console.log(
    `| one channel, an event every 1.2 s: accept-to-Slack p50 / p99 | ${f(gentle.p50)} / ${f(gentle.p99)} ms |`,
  );
  const th = get("threads");
  console.log(
    `| an upgrade of 5 events as one thread: Slack calls (status posts + replies + updates) | ${f(th.calls)} (${f(th.statusPosts)} + ${f(th.replies)} + ${f(th.updates)}) |`,
  );
  console.log(`| same: smallest gap between two of its calls | ${f(th.minGapMs)} ms |`);
  console.log(
    `| an event every 2.5 s: a later reply's accept-to-Slack p50 / p99, beside a standalone post's | ${f(th.replyP50)} / ${f(th.replyP99)} ms vs ${f(th.standaloneP50)} / ${f(th.standaloneP99)} ms |`,
  );
}

/** Every scenario on emulators of its own (`npx tsx bench/throughput.ts`); npm run bench runs them too. */
export async function runAll(emulators?: Emulators) {
  if (emulators) {
    const results = [];
    for (const s of Object.keys(SCENARIOS) as Scenario[]) results.push(await runScenario(s, emulators));
    return results;
  }
  const credentials = newLocalCredentials();
  const dynamodb = await startDynamoDbLocal({ port: await freePort(), credentials });
  const sqs = await startSqsEmulator({ port: 0 });
  try {
    return await runAll({ dynamodbEndpoint: dynamodb.endpoint, sqsEndpoint: sqs.endpoint, credentials });
  } finally {
    await sqs.stop();
    await dynamodb.stop();
  }
}

if (process.argv[1]?.endsWith("throughput.ts") && process.argv[2] === undefined) {
  runAll().then(
    (results) => {
      printThroughput(results);
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
} else if (process.argv[1]?.endsWith("throughput.ts")) {
  const [scenario, emulators] = [process.argv[2] as Scenario, JSON.parse(process.argv[3] ?? "{}") as Emulators];
  SCENARIOS[scenario](emulators).then(
    (result) => {
      console.log(`RESULT ${JSON.stringify(result)}`);
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
