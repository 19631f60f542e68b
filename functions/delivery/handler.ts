import { setTimeout as sleep } from "node:timers/promises";
import { processPartialResponse, SqsFifoPartialProcessorAsync } from "@aws-lambda-powertools/batch";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { ChangeMessageVisibilityCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import * as z from "zod/mini";
import { loadConfig } from "../adapters/config";
import { countFailure, emit, flushMetrics, logger } from "../adapters/observability";
import { cipherFrom } from "../adapters/runtime/cipher";
import { storeFrom } from "../adapters/runtime/dynamodb";
import { kmsKeyProvider } from "../adapters/runtime/kms";
import { senderFrom } from "../adapters/runtime/slack";
import { sqsFrom } from "../adapters/runtime/sqs";
import { type DeliverResult, deliveryGroup, makeDeliver } from "../core/delivery";
import { DELIVERY, METRICS } from "../core/operational";

const config = loadConfig();
const sqs = sqsFrom(config, "delivery");

/** The queue message the pipe writes: references only, never a credential or message text. */
export const queueMessageSchema = z.object({
  workspace_id: z.string().check(z.minLength(1)),
  notification_id: z.string().check(z.minLength(1)),
});

const deliver = makeDeliver({
  store: storeFrom(config, "delivery"),
  // Unwrapped data keys cached for minutes, not credentials (DATA_KEY_CACHE; README, "Data-key cache").
  cipher: cipherFrom(config, "delivery", { kms: kmsKeyProvider, cacheDataKeys: config.DATA_KEY_CACHE === "on" }),
  sender: senderFrom(config),
  sleep: (ms) => sleep(ms),
  now: () => Date.now(),
  channelIntervalMs: config.SLACK_CHANNEL_INTERVAL_MS,
  postTimeoutMs: config.SLACK_TIMEOUT_MS,
  defaultDashboardUrl: config.DASHBOARD_URL,
  deadLetter: async (entry) => {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: config.DEAD_LETTER_QUEUE_URL,
        MessageBody: JSON.stringify({ ...entry, failed_at: new Date().toISOString() }),
        MessageGroupId: deliveryGroup(entry.workspace_id, entry.channel),
        MessageDeduplicationId: `${entry.notification_id}.${Date.now()}`,
      }),
    );
  },
});

/** Marks a record handed back to the queue with a longer visibility timeout (Retry-After or pacing beyond this invocation). */
class RequeueError extends Error {
  override readonly name = "RequeueError";
}

const parseJson = (body: string): unknown => {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
};

/** What an operator sees of one delivery: the outcome at INFO, a permanent failure at WARN with Slack's code. */
function record(notificationId: string, result: DeliverResult, sentAt: number) {
  switch (result.status) {
    case "delivered":
      logger.info("delivered", { notification_id: notificationId, attempts: result.attempts });
      emit(METRICS.notificationsDelivered);
      if (sentAt) emit(METRICS.deliveryLatency, Date.now() - sentAt, "Milliseconds");
      return;
    case "failed":
      logger.warn("notification failed", {
        notification_id: notificationId,
        error: result.error,
        attempts: result.attempts,
        dead_lettered: result.exhausted,
      });
      countFailure(result.error);
      return;
    case "requeue":
      logger.info("requeued", { notification_id: notificationId, reason: result.reason, delay_ms: result.delayMs });
      if (result.error === "rate_limited") emit(METRICS.rateLimited);
      return;
    case "skipped":
      logger.info("skipped", { notification_id: notificationId, reason: result.reason });
      return;
  }
}

async function handleRecord(sqsRecord: SQSRecord, context: Context) {
  const parsed = queueMessageSchema.safeParse(parseJson(sqsRecord.body));
  if (!parsed.success) {
    // Nothing to deliver and nothing to retry: drop it, loudly.
    logger.error("malformed queue message dropped", { messageId: sqsRecord.messageId });
    return;
  }
  const ref = parsed.data;
  let result: DeliverResult;
  try {
    result = await deliver(ref, () => context.getRemainingTimeInMillis() - DELIVERY.safetyMarginMs);
  } catch (err) {
    // DynamoDB, KMS or a bug: the batch processor would only record it, so say it here and count it for the alarm.
    logger.error("delivery record failed", {
      notification_id: ref.notification_id,
      workspace_id: ref.workspace_id,
      error: err as Error,
    });
    emit(METRICS.deliveryRecordErrors);
    throw err;
  }
  record(ref.notification_id, result, Number(sqsRecord.attributes.SentTimestamp));
  if (result.status === "requeue") {
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: config.DELIVERY_QUEUE_URL,
        ReceiptHandle: sqsRecord.receiptHandle,
        VisibilityTimeout: Math.min(43_200, Math.ceil(result.delayMs / 1000)),
      }),
    );
    throw new RequeueError(`requeued for ${result.delayMs} ms`);
  }
}

/**
 * SQS FIFO event source: records of one channel run in order; when one fails or is requeued, the rest of its group in
 * this batch are reported failed too, so order holds (partial batch responses).
 */
export const handler = middy(async (event: SQSEvent, context: Context) => {
  const processor = new SqsFifoPartialProcessorAsync();
  try {
    return await processPartialResponse(event, (r: SQSRecord) => handleRecord(r, context), processor, {
      context,
      skipGroupOnError: true,
      throwOnFullBatchFailure: false,
    });
  } finally {
    flushMetrics();
  }
}).use(injectLambdaContext(logger, { resetKeys: true }));
