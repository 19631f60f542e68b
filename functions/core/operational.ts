/**
 * The service's operational names and numbers, in one place: the functions, the CDK app and the local stack all read
 * them, and test/unit/operational.test.ts states the invariants between them.
 */

export const SERVICE_NAME = "medulla-slack-notifier";
/** Powertools' `service` dimension (and log field) for one stage. */
export const serviceNameOf = (stage: string) => `${SERVICE_NAME}-${stage}`;
export const METRIC_NAMESPACE = "MedullaSlackNotifier";

/** Every custom metric the code emits; alarms and the dashboard may only watch these. */
export const METRICS = {
  eventsAccepted: "EventsAccepted",
  notificationsCreated: "NotificationsCreated",
  notificationsDelivered: "NotificationsDelivered",
  notificationsFailed: "NotificationsFailed",
  /** With the `ErrorCode` dimension. */
  notificationsFailedByCode: "NotificationsFailedByCode",
  deliveryLatency: "DeliveryLatency",
  rateLimited: "RateLimited",
  /** An exception inside one delivery record (DynamoDB, KMS, a bug): the batch goes on, the record is retried. */
  deliveryRecordErrors: "DeliveryRecordErrors",
  /** A thread's status message updated in place (or started again when Slack says it is gone). */
  threadUpdates: "ThreadUpdates",
  /** A status message update that failed for good: recorded as the notification's thread_error. */
  threadUpdateFailures: "ThreadUpdateFailures",
} as const;
export type MetricName = (typeof METRICS)[keyof typeof METRICS];

/** The retry policy of contract section 4: up to 3 attempts, waiting 1 s then 2 s. */
export const MAX_ATTEMPTS = 3;
export const BACKOFF_MS = [1000, 2000] as const;
/** A Retry-After beyond this is capped (and handed to the queue rather than slept on). */
export const MAX_RETRY_AFTER_MS = 15 * 60 * 1000;
/** `message_limit_exceeded`: the whole Slack workspace is over its limit; retried after at least this (contract §4). */
export const WORKSPACE_LIMIT_WAIT_MS = 60_000;

/** Each function's memory: the CDK sets it, the benchmark's cost model prices Lambda duration with it. */
export const MEMORY_MB = { authorizer: 256, api: 512, delivery: 512 } as const;

export const DELIVERY = {
  /** The delivery function's timeout. */
  timeoutSeconds: 60,
  /** Left over after the last wait, to write the outcome before the invocation ends. */
  safetyMarginMs: 5_000,
  /** Records per invocation from the FIFO queue (SQS's maximum for FIFO sources). */
  batchSize: 10,
  /** AWS's guidance for SQS event sources: visibility timeout at least six times the function timeout. */
  visibilityTimeoutSeconds: 360,
  /**
   * The longest wait (pacing, a backoff) slept inside an invocation; anything longer is handed to the queue as a
   * visibility delay, so waiting never holds a worker.
   */
  maxInlineWaitMs: 200,
  /**
   * Receives before SQS dead-letters a message on its own: above what a live message can use (receivesNeeded()), so
   * only a message that keeps crashing the function gets there.
   */
  maxReceiveCount: 150,
  /** The local stack's poller concurrency (the event source mapping's maximum concurrency on AWS). */
  localConcurrency: 4,
} as const;

/**
 * Slack calls one notification can take in an upgrade thread (contract section 5): a status message, its reply, the
 * status update, and one more status message when Slack says the thread is gone.
 */
export const THREAD_STEPS = 4;

/**
 * Receives one message may need in the worst case before its notification is finished: each attempt of each of its
 * steps may be handed back once for pacing, once for its backoff and once after its call (a delivered reply waiting
 * for its status update); and while it waits behind the (batch size - 1) earlier messages of its channel that can
 * share its batch, it is handed back with them once for each of their attempts.
 */
export const receivesNeeded = () => THREAD_STEPS * (3 * MAX_ATTEMPTS + MAX_ATTEMPTS * (DELIVERY.batchSize - 1));

/**
 * The delivery function's data-key cache, the AWS Encryption SDK's caching pattern: an unwrapped data key is kept at
 * most this long and for this many opens, then zeroed. The age bounds how long a revoked KMS grant or a disabled key
 * still lets a warm container deliver; the capacity bounds memory (one 32-byte key per credential seen), not exposure.
 */
export const DATA_KEY_CACHE = {
  maxAgeMs: 5 * 60 * 1000,
  maxUses: 1000,
  capacity: 500,
} as const;

/** One post to Slack may take this long before it counts as a (retryable) timeout. */
export const SLACK_TIMEOUT_MS_DEFAULT = 10_000;

export const API = {
  /** API Gateway's integration limit is 30 s. */
  timeoutSeconds: 29,
  authorizerTimeoutSeconds: 5,
  maxBodyBytes: 64 * 1024,
  /**
   * The test message goes through the queue like every notification; the API waits this long for the outcomes
   * (within its own timeout), then answers the channels still busy as pending.
   */
  testWaitMs: 20_000,
  /** The longest pause between two reads of the test notifications while waiting (the first ones are shorter). */
  testPollMaxMs: 500,
} as const;

export const PIPE = {
  batchSize: 10,
  /** Finite, so one bad record cannot stall the shard for the stream's 24 h. */
  maximumRetryAttempts: 10,
  maximumRecordAgeSeconds: 3600,
} as const;
