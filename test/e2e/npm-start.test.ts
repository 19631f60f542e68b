/**
 * `npm start` itself, as a child process with its own DATA_DIR, ports and DynamoDB Local: what it exposes to the
 * network, and what a stop by signal and a restart on the same DATA_DIR do to deliveries.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { connect } from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../local/emulators";
import { FakeSlack } from "../../local/fake-slack";
import { completedEvent, scanEvent, startedEvent } from "../fixtures/events";

interface App {
  child: ChildProcess;
  /** Every line it printed (stdout and stderr), in order. */
  lines: string[];
  exited: Promise<number | null>;
  /** The first line (already printed or still to come) matching `re`; rejects if the app exits first. */
  waitFor(re: RegExp): Promise<string>;
}

const ADMIN_TOKEN = "npm-start-test-admin-token";
const CHANNEL = "#upgrades";

const slack = new FakeSlack();
const dataDir = mkdtempSync(join(tmpdir(), "npm-start-"));
let ports: { api: number; dynamodb: number; sqs: number };
let app: App | undefined;

/** `viaNpm`: through `npm start` itself, so that a signal to the child is a signal to npm (a service manager's stop). */
function startApp(opts: { viaNpm?: boolean } = {}): Promise<App> {
  // Its own process group, as a terminal's foreground job: a signal to the group is what Ctrl-C sends.
  const [command, args] = opts.viaNpm
    ? ["npm", ["start", "--silent"]]
    : [process.execPath, ["--import", "tsx", "bin/local.ts"]];
  const child = spawn(command, args, {
    env: {
      ...process.env,
      PORT: String(ports.api),
      DYNAMODB_PORT: String(ports.dynamodb),
      SQS_PORT: String(ports.sqs),
      DATA_DIR: dataDir,
      ADMIN_TOKEN,
      SLACK_API_URL: `${slack.url}/api/`,
      SLACK_CHANNEL_INTERVAL_MS: "0",
      // The delivery handler logs each message it handles (with the notification id) at INFO.
      POWERTOOLS_LOG_LEVEL: "INFO",
    },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  for (const stream of [child.stdout, child.stderr]) {
    let rest = "";
    stream?.on("data", (chunk: Buffer) => {
      const parts = (rest + chunk.toString()).split("\n");
      rest = parts.pop() ?? "";
      lines.push(...parts);
      for (const l of listeners) l();
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const waitFor = (re: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const hit = lines.find((l) => re.test(l));
        if (hit === undefined) return;
        listeners.delete(check);
        resolve(hit);
      };
      listeners.add(check);
      check();
      void exited.then((code) => {
        listeners.delete(check);
        reject(new Error(`npm start exited (${code}) before printing ${re}:\n${lines.slice(-30).join("\n")}`));
      });
    });
  const started: App = { child, lines, exited, waitFor };
  app = started;
  return waitFor(/is running/).then(() => started);
}

async function call<T = Record<string, unknown>>(method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`http://127.0.0.1:${ports.api}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

let ws: { base: string; token: string };
/** Posts an event for `cluster` and returns its one notification's id. */
async function postEvent(cluster: string): Promise<string> {
  const res = await call<{ notifications: { id: string }[] }>("POST", `${ws.base}/events`, ws.token, {
    ...scanEvent({ cluster: { name: cluster } }),
  });
  expect(res.status).toBe(202);
  return (res.body.notifications[0] as { id: string }).id;
}

async function settled(id: string) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const r = await call<{ status: string; attempts: number }>("GET", `${ws.base}/notifications/${id}`, ws.token);
    if (r.body.status !== "pending") return r.body;
    if (Date.now() > deadline) throw new Error(`notification ${id} still pending after 20 s`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

const postsFor = (cluster: string) =>
  slack.posts(CHANNEL).filter((r) => String(r.body.text).includes(cluster) && r.path.endsWith("chat.postMessage"));

/** Whether a TCP connection to host:port is accepted. */
const accepts = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });

/** This machine's addresses other than 127.0.0.1: its interfaces, and on Linux another loopback address. */
const otherAddresses = () => [
  ...Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && a.family === "IPv4" && !a.internal)
    .map((a) => a?.address as string),
  ...(process.platform === "linux" ? ["127.0.0.2"] : []),
];

beforeAll(async () => {
  await slack.start();
  ports = { api: await freePort(), dynamodb: await freePort(), sqs: await freePort() };
  // Looser than it should be, as a DATA_DIR made by hand or by an older version may be.
  chmodSync(dataDir, 0o755);
  await startApp();
  const created = await call<{ workspace_id: string; token: string }>("POST", "/v1/workspaces", ADMIN_TOKEN, {
    name: "platform",
  });
  expect(created.status).toBe(201);
  ws = { base: `/v1/workspaces/${created.body.workspace_id}`, token: created.body.token };
  const connected = await call("PUT", `${ws.base}/integrations/slack`, ws.token, {
    bot_token: "xoxb-npm-start-1",
    channel: CHANNEL,
  });
  expect(connected.status).toBe(200);
}, 90_000);

afterAll(async () => {
  if (app && app.child.exitCode === null && app.child.signalCode === null) {
    process.kill(-(app.child.pid as number), "SIGKILL");
    await app.exited;
  }
  await slack.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("npm start on this machine", () => {
  it("serves the API and the SQS emulator on 127.0.0.1 only", async () => {
    const others = otherAddresses();
    expect(others.length).toBeGreaterThan(0);
    expect(await accepts("127.0.0.1", ports.api)).toBe(true);
    expect(await accepts("127.0.0.1", ports.sqs)).toBe(true);
    for (const host of others) {
      expect({ host, api: await accepts(host, ports.api) }).toEqual({ host, api: false });
      expect({ host, sqs: await accepts(host, ports.sqs) }).toEqual({ host, sqs: false });
    }
    // DynamoDB Local cannot be bound to one address: the probe does reach a listener on every interface.
    expect(await accepts(others[0] as string, ports.dynamodb)).toBe(true);
  });

  it("prints the console's URL, and serves the console there without a token", async () => {
    const line = app?.lines.find((l) => /^\s*console\s+http/.test(l)) ?? "";
    const url = /(http:\/\/127\.0\.0\.1:\d+\/console\/)/.exec(line)?.[1];
    expect(url).toBe(`http://127.0.0.1:${ports.api}/console/`);
    const res = await fetch(url as string);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("<title>Integrations · Medulla</title>");
  });

  it("keeps its state private: DATA_DIR 0700, DynamoDB Local's key 0600, no tables for any other key, no telemetry", async () => {
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    const keyFile = join(dataDir, "dynamodb-local.json");
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const key = JSON.parse(readFileSync(keyFile, "utf8")) as { accessKeyId: string; region: string };
    expect(key.accessKeyId).toMatch(/^[A-Za-z0-9]{24,}$/);
    const tables = async (accessKeyId: string) => {
      const client = new DynamoDBClient({
        endpoint: `http://127.0.0.1:${ports.dynamodb}`,
        region: key.region,
        credentials: { accessKeyId, secretAccessKey: "x" },
      });
      try {
        return (await client.send(new ListTablesCommand({}))).TableNames ?? [];
      } finally {
        client.destroy();
      }
    };
    expect(await tables(key.accessKeyId)).toContain("medulla-slack-notifier");
    expect(await tables("local")).toEqual([]);
    expect(await tables(`x${key.accessKeyId.slice(1)}`)).toEqual([]);
    // DynamoDB Local writes this file in its working directory when telemetry is on.
    expect(existsSync(join(dataDir, "dynamodb", "dynamodb-local-metadata.json"))).toBe(false);
  });

  let first: string;
  it("on Ctrl-C (SIGINT to its process group), finishes and records the post in flight, and never posts it again", async () => {
    const held = slack.hold(CHANNEL);
    first = await postEvent("cluster-sigint");
    await held.arrived;
    const running = app as App;
    process.kill(-(running.child.pid as number), "SIGINT");
    // No more work is taken, while the post Slack holds open is still waited for.
    await running.waitFor(/no new requests or deliveries taken; finishing 1 /);
    expect(await accepts("127.0.0.1", ports.api)).toBe(false);
    expect(running.child.exitCode).toBeNull();
    held.release();
    expect(await running.exited).toBe(0);

    await startApp({ viaNpm: true });
    expect(await settled(first)).toMatchObject({ status: "delivered", attempts: 1 });
    expect(postsFor("cluster-sigint")).toHaveLength(1);
  }, 90_000);

  let second: string;
  let third: string;
  /** What the restarted run printed until the new notification was delivered. */
  let printedAfterRestart: string[] = [];
  it("on SIGTERM to npm start (npm's own process, as a service manager stops it), does the same", async () => {
    const held = slack.hold(CHANNEL);
    second = await postEvent("cluster-sigterm");
    // Same channel, so any redelivery of the first post would have come before this one.
    await held.arrived;
    expect(postsFor("cluster-sigint")).toHaveLength(1);
    const running = app as App;
    running.child.kill("SIGTERM");
    await running.waitFor(/no new requests or deliveries taken; finishing 1 /);
    expect(running.child.exitCode).toBeNull();
    held.release();
    expect(await running.exited).toBe(0);

    const restarted = await startApp();
    // Same channel: any redelivery of the earlier posts comes before this one.
    const heldAfter = slack.hold(CHANNEL);
    third = await postEvent("cluster-after");
    await heldAfter.arrived;
    // API invocations while the delivery waits for Slack, in the same process: each has a Lambda context of its own.
    for (let i = 0; i < 3; i++)
      expect((await call("GET", `${ws.base}/notifications/${third}`, ws.token)).status).toBe(200);
    heldAfter.release();
    expect(await settled(third)).toMatchObject({ status: "delivered" });
    // The delivery handler logs each message it handles (at INFO, with its id), after recording it.
    await restarted.waitFor(new RegExp(third));
    printedAfterRestart = [...restarted.lines];
    // ...naming the delivery function, not the API call that ran last.
    const delivered = printedAfterRestart.filter((l) => l.includes(third) && l.includes('"delivered"'));
    expect(
      delivered.map((l) => (JSON.parse(l.slice(l.indexOf("{"))) as { function_name?: string }).function_name),
    ).toEqual(["delivery-local"]);
    // The functions read their settings when npm start has set them: locally no metrics are printed (EMF lines).
    expect(printedAfterRestart.filter((l) => l.includes('"_aws"'))).toEqual([]);
    expect(postsFor("cluster-sigterm")).toHaveLength(1);
    expect(postsFor("cluster-sigint")).toHaveLength(1);
    expect(await settled(second)).toMatchObject({ status: "delivered", attempts: 1 });
  }, 90_000);

  it("resumes the table stream where the last run stopped: nothing already delivered goes through the queue again", () => {
    expect(printedAfterRestart.filter((l) => l.includes(third))).not.toEqual([]);
    expect(printedAfterRestart.filter((l) => l.includes(first) || l.includes(second))).toEqual([]);
  });

  it("continues an upgrade's thread after a restart: the reply goes under the same status message, which is updated", async () => {
    const upgrade_id = `upg-restart-${Date.now()}`;
    /** Posts one event of this upgrade; its notification's id. */
    const postStep = async (event: Record<string, unknown>) => {
      const res = await call<{ notifications: { id: string }[] }>("POST", `${ws.base}/events`, ws.token, {
        ...event,
        upgrade_id,
        cluster: { name: "cluster-thread" },
      });
      return (res.body.notifications[0] as { id: string }).id;
    };
    const delivered = await settled(await postStep(startedEvent()));
    const status = slack
      .posts(CHANNEL)
      .find((r) => !r.body.thread_ts && String(r.body.text).includes("cluster-thread"));
    expect(status).toBeDefined();
    const running = app as App;
    running.child.kill("SIGTERM");
    expect(await running.exited).toBe(0);
    await startApp();

    const replyTwo = await settled(await postStep(completedEvent()));
    const parentTs = (delivered as unknown as { thread_ts: string }).thread_ts;
    expect(replyTwo).toMatchObject({ status: "delivered", thread_ts: parentTs });
    const deadline = Date.now() + 10_000;
    while (slack.updates(CHANNEL).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const [update] = slack.updates(CHANNEL);
    const channelId = slack.channels.get(CHANNEL)?.id;
    expect(update?.body).toMatchObject({ channel: channelId, ts: parentTs });
    expect(String(update?.body.text)).toContain("Completed");
    expect(slack.transcript(CHANNEL).filter((l) => l.includes("cluster-thread"))).toEqual([
      expect.stringMatching(/^Upgrade cluster-thread: 1\.29 → 1\.30 \[Completed\] \(edited 1×\)$/),
      expect.stringMatching(/^ {4}↳ .*Upgrade started: cluster-thread$/),
      expect.stringMatching(/^ {4}↳ .*Upgrade completed: cluster-thread$/),
    ]);
  }, 90_000);

  it("takes DynamoDB Local down with it when killed outright", async () => {
    const running = app as App;
    process.kill(running.child.pid as number, "SIGKILL");
    await running.exited;
    const deadline = Date.now() + 20_000;
    while (await accepts("127.0.0.1", ports.dynamodb)) {
      if (Date.now() > deadline) throw new Error("DynamoDB Local still answers 20 s after npm start was killed");
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 30_000);
});
