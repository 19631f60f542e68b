import { setTimeout as sleep } from "node:timers/promises";
import { processPartialResponse, SqsFifoPartialProcessorAsync } from "@aws-lambda-powertools/batch";
import { ChangeMessageVisibilityCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import * as z from "zod";
import { loadConfig } from "../adapters/config";
import { countFailure, flushMetrics, logger, metrics } from "../adapters/observability";
import { cipherFrom, senderFrom, sqsFrom, storeFrom } from "../adapters/runtime";
import { deliveryGroup, makeDeliver } from "../core/delivery";

const config = loadConfig();
const sqs = sqsFrom(config);

/** The queue message the pipe writes: references only, never a credential or message text. */
export const queueMessageSchema = z.object({ workspace_id: z.string().min(1), notification_id: z.string().min(1) });

const deliver = makeDeliver({
  store: storeFrom(config),
  cipher: cipherFrom(config),
  sender: senderFrom(config),
  sleep: (ms) => sleep(ms),
  now: () => Date.now(),
  channelIntervalMs: config.SLACK_CHANNEL_INTERVAL_MS,
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

/** Leaves headroom to write the outcome after the last wait. */
const SAFETY_MS = 5_000;

async function handleRecord(record: SQSRecord, context: Context) {
  const parsed = queueMessageSchema.safeParse(parseJson(record.body));
  if (!parsed.success) {
    // Nothing to deliver and nothing to retry: drop it, loudly.
    logger.error("malformed queue message dropped", { messageId: record.messageId });
    return;
  }
  const result = await deliver(parsed.data, () => context.getRemainingTimeInMillis() - SAFETY_MS);
  logger.info("delivery", {
    notification_id: parsed.data.notification_id,
    status: result.status,
    ...("error" in result ? { error: result.error } : {}),
  });
  switch (result.status) {
    case "delivered": {
      metrics.addMetric("NotificationsDelivered", "Count", 1);
      const sentAt = Number(record.attributes.SentTimestamp);
      if (sentAt) metrics.addMetric("DeliveryLatency", "Milliseconds", Date.now() - sentAt);
      break;
    }
    case "failed":
      countFailure(result.error);
      break;
    case "requeue":
      if (result.error === "rate_limited") metrics.addMetric("RateLimited", "Count", 1);
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: config.DELIVERY_QUEUE_URL,
          ReceiptHandle: record.receiptHandle,
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
export const handler = async (event: SQSEvent, context: Context) => {
  const processor = new SqsFifoPartialProcessorAsync();
  try {
    return await processPartialResponse(event, (record: SQSRecord) => handleRecord(record, context), processor, {
      context,
      skipGroupOnError: true,
      throwOnFullBatchFailure: false,
    });
  } finally {
    flushMetrics();
  }
};
