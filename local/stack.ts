import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { InvokeStore, InvokeStoreBase } from "@aws/lambda-invoke-store";
import type { FunctionName } from "../functions/adapters/client-hooks";
import { DynamoStore } from "../functions/adapters/dynamo-store";
import { hashToken, newToken } from "../functions/core/identity";
import { DELIVERY } from "../functions/core/operational";
import { isPublicPath } from "../functions/api/routes";
import { writeConsoleModule } from "../console/build";
import { type LocalAwsCredentials, preparePrivateDir } from "./data-dir";
import { emulatorClientConfig, useLocalAwsCredentials } from "./emulators";
import { startHttpServer } from "./http-server";
import { startQueuePoller } from "./queue-poller";
import { ensureQueues, ensureTable } from "./resources";
import { requeuePending, startStreamPump } from "./stream-pump";

export interface LocalStackOptions {
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  /** What every client of the emulators signs with; DynamoDB Local keeps the tables under this key id. */
  credentials: LocalAwsCredentials;
  /** 0 picks a free port. */
  port: number;
  dataDir: string;
  tableName: string;
  queuePrefix: string;
  adminToken?: string;
  /** Settings handed to the functions as their environment (SLACK_API_URL, DASHBOARD_URL, …). */
  env?: Record<string, string | undefined>;
  log(line: string): void;
  /**
   * Told how long each handler invocation took, with its event (the benchmark's cost model prices Lambda duration
   * with it; its throughput bench reads when each queue message was sent).
   */
  onInvocation?(fn: FunctionName, ms: number, event: unknown): void;
}

export interface LocalStack {
  url: string;
  adminToken: string;
  deliveryQueueUrl: string;
  deadLetterQueueUrl: string;
  /** Holds and releases delivery (the poller takes no new messages meanwhile); see QueuePoller.hold. */
  holdDelivery(): void;
  releaseDelivery(): void;
  /**
   * Stops in order: no new requests and no new receives; the requests and deliveries in flight finish and are
   * recorded; then the stream pump (which forwards and checkpoints what they wrote). The emulators are the caller's.
   */
  stop(): Promise<void>;
}

let started = false;

/**
 * This one process runs the three functions' invocations side by side, as Lambda Managed Instances run several in one
 * environment, and does what their runtime does: AWS_LAMBDA_MAX_CONCURRENCY set (Powertools asks only whether it is;
 * a number, as Lambda sets it) and the multi-context invoke store installed, each invocation run in its own context.
 * Powertools then keeps each invocation's logger and metrics state (function name, request id, keys, metrics not yet
 * flushed) apart, instead of a delivery's log line naming the API call that ran last. At import: the SDK's first
 * request installs the single-context store if none is there yet, and the first store installed stays.
 */
process.env.AWS_LAMBDA_MAX_CONCURRENCY = "64";
const invokeStore = await InvokeStore.getInstanceAsync(true);

/**
 * The whole pipeline on emulators, running the same handler modules as Lambda: HTTP server (API Gateway + the
 * authorizer), table stream → pump (the pipe) → FIFO queue → poller (the event source mapping) → delivery handler.
 */
export async function startLocalStack(opts: LocalStackOptions): Promise<LocalStack> {
  if (started) {
    throw new Error(
      "One local stack per process: the handlers read their configuration once, at import, as on Lambda.",
    );
  }
  started = true;
  if (invokeStore.constructor.name !== "InvokeStoreMulti" || globalThis.awslambda?.InvokeStore !== invokeStore)
    throw new Error("Another invoke store was installed before local/stack.ts was imported.");
  const dataDir = resolve(opts.dataDir);
  preparePrivateDir(dataDir);
  // The handlers build their clients from the environment, as on Lambda.
  useLocalAwsCredentials(opts.credentials);
  const dynamodb = new DynamoDBClient(emulatorClientConfig(opts.dynamodbEndpoint, opts.credentials));
  const sqs = new SQSClient(emulatorClientConfig(opts.sqsEndpoint, opts.credentials));
  const { streamArn } = await ensureTable(dynamodb, opts.tableName);
  const queues = await ensureQueues(sqs, opts.queuePrefix, DELIVERY.visibilityTimeoutSeconds);
  const queueArn = (
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queues.deliveryQueueUrl, AttributeNames: ["QueueArn"] }))
  ).Attributes?.QueueArn as string;

  // The functions read their configuration from the environment at import, exactly as on Lambda.
  Object.assign(process.env, {
    TABLE_NAME: opts.tableName,
    DYNAMODB_ENDPOINT: opts.dynamodbEndpoint,
    SQS_ENDPOINT: opts.sqsEndpoint,
    LOCAL_MASTER_KEY_FILE: join(dataDir, "master.key"),
    DELIVERY_QUEUE_URL: queues.deliveryQueueUrl,
    DEAD_LETTER_QUEUE_URL: queues.deadLetterQueueUrl,
    POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED ?? "true",
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? "WARN",
  });
  for (const [k, v] of Object.entries(opts.env ?? {})) if (v !== undefined) process.env[k] = v;
  // The console's files, built before the API function (which serves them) is imported; esbuild, a few ms.
  writeConsoleModule();
  const [{ handler: api }, { handler: authorizer }, { handler: delivery }] = await Promise.all([
    import("../functions/api/handler"),
    import("../functions/authorizer/handler"),
    import("../functions/delivery/handler"),
  ]);

  // Timed as Lambda bills them: from the handler's start to its promise settling.
  const timed =
    <E, C, R>(fn: FunctionName, h: (event: E, context: C) => Promise<R>) =>
    async (event: E, context: C & { awsRequestId: string }): Promise<R> => {
      const started = performance.now();
      try {
        // Each invocation in its own context, as Lambda's runtime runs it.
        return await invokeStore.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: context.awsRequestId }, () =>
          h(event, context),
        );
      } finally {
        opts.onInvocation?.(fn, performance.now() - started, event);
      }
    };
  const [timedApi, timedAuthorizer, timedDelivery] = [
    timed("api", api),
    timed("authorizer", authorizer),
    timed("delivery", delivery),
  ];

  const adminToken = opts.adminToken ?? newToken();
  await registerAdminToken(new DynamoStore(dynamodb, opts.tableName), dataDir, adminToken);

  const onError = (what: string) => (err: unknown) =>
    opts.log(`${what}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  // The port is taken first: a busy port fails start-up before anything runs in the background.
  const http = await startHttpServer({
    port: opts.port,
    api: (event, context) => timedApi(event, context),
    authorizer: (event, context) => timedAuthorizer(event, context),
    isPublicPath,
    onError: onError("http"),
  });
  const requeued = await requeuePending({
    dynamodb,
    tableName: opts.tableName,
    sqs,
    queueUrl: queues.deliveryQueueUrl,
  });
  if (requeued) opts.log(`queued again ${requeued} notification(s) still pending from an earlier run`);
  const pump = startStreamPump({
    dynamodbEndpoint: opts.dynamodbEndpoint,
    credentials: opts.credentials,
    streamArn,
    sqs,
    queueUrl: queues.deliveryQueueUrl,
    checkpointFile: join(dataDir, "stream-checkpoint.json"),
    onError: onError("stream pump"),
    log: opts.log,
  });
  const poller = startQueuePoller({
    sqs,
    queueUrl: queues.deliveryQueueUrl,
    queueArn,
    handler: timedDelivery,
    concurrency: DELIVERY.localConcurrency,
    batchSize: DELIVERY.batchSize,
    functionTimeoutMs: DELIVERY.timeoutSeconds * 1000,
    onError: onError("delivery poller"),
  });

  return {
    url: http.url,
    adminToken,
    ...queues,
    holdDelivery: () => poller.hold(),
    releaseDelivery: () => poller.release(),
    stop: async () => {
      const httpStopped = http.stop();
      const pollerStopped = poller.stop();
      const busy = poller.inFlight();
      opts.log(
        `no new requests or deliveries taken; ${busy ? `finishing ${busy} delivery message(s) in flight` : "nothing in flight"}`,
      );
      await Promise.all([httpStopped, pollerStopped]);
      await pump.stop();
      dynamodb.destroy();
      sqs.destroy();
    },
  };
}

/** One admin token at a time: the one this run uses is registered, the previous run's is revoked. */
async function registerAdminToken(store: DynamoStore, dataDir: string, token: string) {
  const marker = join(dataDir, "admin-token.sha256");
  const hash = hashToken(token);
  const previous = existsSync(marker) ? readFileSync(marker, "utf8").trim() : undefined;
  if (previous && previous !== hash) await store.deleteTokenByHash(previous);
  await store.putToken({
    id: "tok_local_admin",
    name: "local admin",
    hash,
    admin: true,
    scopes: [],
    created_at: new Date().toISOString(),
  });
  writeFileSync(marker, hash, { mode: 0o600 });
}
