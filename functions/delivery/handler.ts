import { setTimeout as sleep } from "node:timers/promises";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { ChangeMessageVisibilityBatchCommand, DeleteMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { loadConfig } from "../adapters/config";
import { flushMetrics, logger } from "../adapters/observability";
import { cipherFrom } from "../adapters/runtime/cipher";
import { storeFrom } from "../adapters/runtime/dynamodb";
import { kmsKeyProvider } from "../adapters/runtime/kms";
import { senderFrom } from "../adapters/runtime/slack";
import { sqsFrom } from "../adapters/runtime/sqs";
import { deliveryGroup, makeDeliver } from "../core/delivery";
import { makeProcessBatch } from "./process-batch";

const config = loadConfig();
const sqs = sqsFrom(config, "delivery");

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

const processBatch = makeProcessBatch({
  deliver,
  channelIntervalMs: config.SLACK_CHANNEL_INTERVAL_MS,
  now: () => Date.now(),
  queue: {
    remove: async (receiptHandle) => {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: config.DELIVERY_QUEUE_URL, ReceiptHandle: receiptHandle }));
    },
    handBack: async (receiptHandles, seconds) => {
      for (let i = 0; i < receiptHandles.length; i += 10) {
        // Entries that fail (a handle no longer in flight) are left as they are: FIFO still keeps them in order.
        await sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: config.DELIVERY_QUEUE_URL,
            Entries: receiptHandles
              .slice(i, i + 10)
              .map((ReceiptHandle, j) => ({ Id: String(j), ReceiptHandle, VisibilityTimeout: seconds })),
          }),
        );
      }
    },
  },
});

/** SQS FIFO event source with partial batch responses: channels in parallel, each in order (see process-batch.ts). */
export const handler = middy(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  try {
    return await processBatch(event, context);
  } finally {
    flushMetrics();
  }
}).use(injectLambdaContext(logger, { resetKeys: true }));
