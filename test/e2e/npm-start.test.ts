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

interface App {
  child: ChildProcess;
  /** Every line it printed (stdout and stderr), in order. */
  lines: string[];
  exited: Promise<number | null>;
  /** The first line (already printed or still to come) matching `re`; rejects if the app exits first. */
  waitFor(re: RegExp): Promise<string>;
}

const ADMIN_TOKEN = "npm-start-test-admin-token";

const slack = new FakeSlack();
const dataDir = mkdtempSync(join(tmpdir(), "npm-start-"));
let ports: { api: number; dynamodb: number; sqs: number };
let app: App | undefined;

function startApp(): Promise<App> {
  // Its own process group, as a terminal's foreground job: a signal to the group is what Ctrl-C sends.
  const child = spawn(process.execPath, ["--import", "tsx", "bin/local.ts"], {
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
});
