/**
 * `npm run bench`: the figures the README quotes, measured on this machine.
 *  1. `npm start` time to ready (fresh DATA_DIR).
 *  2. Accept-to-Slack latency for a burst of 100 events through the local stack (API → DynamoDB Local → stream pump
 *     → fauxqs FIFO → delivery handler → fake Slack), p50/p99, with the default 1 s channel interval over 10
 *     channels, and with no interval on one channel (pipeline overhead alone). Also the API's accept latency.
 *  3. Each Lambda bundle's size and cold start as a ratio to a bare Node process (bench/bundles.ts).
 *  4. Throughput and isolation: 20 channels bursting, a hanging channel, a gentle rate (bench/throughput.ts).
 *  5. The cost model: AWS requests per event and per notification, $ per million notifications (bench/cost.ts).
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LocalAwsCredentials, newLocalCredentials } from "../local/data-dir";
import { freePort, startDynamoDbLocal, startSqsEmulator } from "../local/emulators";
import { startStackWithFakeSlack } from "../test/fixtures/stack-with-fake-slack";
import { benchWorkspace } from "./api";
import { measureBundles, printBundles } from "./bundles";
import { resultOfChild } from "./child";
import { measureCost, printCostModel } from "./cost";
import { printThroughput, runAll } from "./throughput";

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
};

async function timeToReady(): Promise<number> {
  const [port, dynamoPort] = [await freePort(), await freePort()];
  const started = Date.now();
  const child = spawn(process.execPath, ["--import", "tsx", "bin/local.ts"], {
    env: {
      ...process.env,
      PORT: String(port),
      DYNAMODB_PORT: String(dynamoPort),
      DATA_DIR: mkdtempSync(join(tmpdir(), "bench-start-")),
    },
    stdio: ["ignore", "pipe", "ignore"],
  });
  try {
    return await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("npm start was not ready within 60 s")), 60_000);
      child.stdout.on("data", (d: Buffer) => {
        if (d.toString().includes("is running")) {
          clearTimeout(timer);
          resolve(Date.now() - started);
        }
      });
      child.once("exit", (code) => reject(new Error(`npm start exited with ${code}`)));
    });
  } finally {
    child.removeAllListeners("exit");
    child.kill("SIGINT");
    await new Promise((r) => child.once("exit", r));
  }
}

async function burst(
  label: string,
  intervalMs: number,
  channels: number,
  dynamodbEndpoint: string,
  sqsEndpoint: string,
  credentials: LocalAwsCredentials,
) {
  const { stack, slack } = await startStackWithFakeSlack({
    dynamodbEndpoint,
    sqsEndpoint,
    credentials,
    name: "bench",
    channelIntervalMs: intervalMs,
  });
  const names = Array.from({ length: channels }, (_, i) => `#bench-${i}`);
  const { base, call } = await benchWorkspace(stack, names);

  const acceptedAt = new Map<string, number>();
  const acceptMs: number[] = [];
  const started = Date.now();
  await Promise.all(
    Array.from({ length: 100 }, async (_, i) => {
      const t0 = Date.now();
      const res = await call("POST", `${base}/events`, {
        event_id: `bench-${i}`,
        type: "scan_completed",
        cluster: { name: `cluster-${i}` },
        labels: { shard: String(i % channels) },
        data: { risk_score: i % 100, current_version: "1.29", target_version: "1.30" },
      });
      acceptMs.push(Date.now() - t0);
      if ((res.notifications as unknown[] | undefined)?.length !== 1)
        throw new Error(`event ${i} not accepted: ${JSON.stringify(res)}`);
      acceptedAt.set(`cluster-${i}`, Date.now());
    }),
  );
  const deadline = Date.now() + 300_000;
  while (slack.requests.length < 100 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const latencies = slack.requests.map((r) => {
    const cluster = /cluster-\d+/.exec(String(r.body.text))?.[0] ?? "";
    return r.at - (acceptedAt.get(cluster) ?? r.at);
  });
  const total = Date.now() - started;
  await stack.stop();
  await slack.stop();
  return {
    label,
    delivered: slack.requests.length,
    p50: pct(latencies, 50),
    p99: pct(latencies, 99),
    acceptP50: pct(acceptMs, 50),
    acceptP99: pct(acceptMs, 99),
    totalMs: total,
  };
}

type BurstResult = Awaited<ReturnType<typeof burst>>;
function burstInChild(
  label: string,
  intervalMs: number,
  channels: number,
  dynamodbEndpoint: string,
  sqsEndpoint: string,
  credentials: LocalAwsCredentials,
) {
  return resultOfChild<BurstResult>(
    "bench/run.ts",
    ["--burst", JSON.stringify([label, intervalMs, channels, dynamodbEndpoint, sqsEndpoint, credentials])],
    "BURST",
  );
}

async function main() {
  const burstArgs = process.argv.indexOf("--burst");
  if (burstArgs > 0) {
    const [label, intervalMs, channels, dynamodbEndpoint, sqsEndpoint, credentials] = JSON.parse(
      process.argv[burstArgs + 1] ?? "[]",
    );
    const result = await burst(label, intervalMs, channels, dynamodbEndpoint, sqsEndpoint, credentials);
    console.log(`BURST ${JSON.stringify(result)}`);
    return;
  }
  console.log("measuring npm start time to ready…");
  const readyMs = await timeToReady();
  console.log(`npm start ready in ${(readyMs / 1000).toFixed(1)} s (fresh DATA_DIR, includes tsx start-up)`);

  const credentials = newLocalCredentials();
  const dynamodb = await startDynamoDbLocal({ port: await freePort(), credentials });
  const sqs = await startSqsEmulator({ port: 0 });
  try {
    const runs = [
      await burstInChild(
        "100 events, 10 channels, SLACK_CHANNEL_INTERVAL_MS=1000",
        1000,
        10,
        dynamodb.endpoint,
        sqs.endpoint,
        credentials,
      ),
      await burstInChild(
        "100 events, 1 channel, SLACK_CHANNEL_INTERVAL_MS=0",
        0,
        1,
        dynamodb.endpoint,
        sqs.endpoint,
        credentials,
      ),
    ];
    console.log(
      "\n| burst | delivered | accept p50 / p99 (ms) | accept-to-Slack p50 / p99 (ms) | all delivered after (ms) |",
    );
    console.log("|---|---|---|---|---|");
    for (const r of runs)
      console.log(
        `| ${r.label} | ${r.delivered}/100 | ${r.acceptP50} / ${r.acceptP99} | ${r.p50} / ${r.p99} | ${r.totalMs} |`,
      );
    const emulators = { dynamodbEndpoint: dynamodb.endpoint, sqsEndpoint: sqs.endpoint, credentials };
    printThroughput(await runAll(emulators));
    const cost = await measureCost(emulators);
    printCostModel(cost);
  } finally {
    await sqs.stop();
    await dynamodb.stop();
  }

  printBundles(measureBundles());
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
