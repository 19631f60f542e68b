import { randomUUID } from "node:crypto";
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";

export interface QueuePollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse | undefined>;
  /** Parallel invocations, like the event source mapping's maximum concurrency. */
  concurrency: number;
  batchSize: number;
  functionTimeoutMs: number;
  onError(err: unknown): void;
}

const toRecord = (m: Message, queueArn: string): SQSRecord => ({
  messageId: m.MessageId as string,
  receiptHandle: m.ReceiptHandle as string,
  body: m.Body ?? "",
  attributes: (m.Attributes ?? {}) as unknown as SQSRecord["attributes"],
  messageAttributes: {},
  md5OfBody: m.MD5OfBody ?? "",
  eventSource: "aws:sqs",
  eventSourceARN: queueArn,
  awsRegion: process.env.AWS_REGION ?? "us-east-1",
});

export interface QueuePoller {
  /** Messages being handled right now. */
  inFlight(): number;
  /**
   * Takes no new messages until release(): what is being handled finishes, and a receive that returns meanwhile is
   * handed straight back. The throughput bench holds delivery while it sends a burst, to time the delivery path alone.
   */
  hold(): void;
  release(): void;
  /** Stops receiving and resolves once the invocations in flight have finished and their messages are settled. */
  stop(): Promise<void>;
}

/**
 * Plays the Lambda SQS event source mapping: receives batches, invokes the delivery handler with an SQS event and a
 * context whose clock runs out at the function timeout, deletes what succeeded and leaves reported failures on the
 * queue (partial batch responses).
 */
export function startQueuePoller(opts: QueuePollerOptions): QueuePoller {
  let running = true;
  let inFlight = 0;
  let held: { released: Promise<void>; release(): void } | undefined;
  const worker = async () => {
    while (running) {
      if (held) {
        await held.released;
        continue;
      }
      try {
        const out = await opts.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: opts.queueUrl,
            MaxNumberOfMessages: opts.batchSize,
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ["All"],
          }),
        );
        const messages = out.Messages ?? [];
        if (!messages.length) continue;
        if (!running || held) {
          // Received while stopping or held: handed straight back rather than started, so nothing new is begun.
          await opts.sqs.send(
            new ChangeMessageVisibilityBatchCommand({
              QueueUrl: opts.queueUrl,
              Entries: messages.map((m, i) => ({
                Id: String(i),
                ReceiptHandle: m.ReceiptHandle as string,
                VisibilityTimeout: 0,
              })),
            }),
          );
          if (!running) break;
          continue;
        }
        inFlight += messages.length;
        const deadline = Date.now() + opts.functionTimeoutMs;
        const context = {
          functionName: "delivery-local",
          awsRequestId: randomUUID(),
          getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
        } as Context;
        let failed = new Set(messages.map((m) => m.MessageId));
        try {
          const response = await opts.handler({ Records: messages.map((m) => toRecord(m, opts.queueArn)) }, context);
          failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
        } catch (err) {
          opts.onError(err);
        }
        const done = messages.filter((m) => !failed.has(m.MessageId));
        try {
          if (done.length) {
            await opts.sqs.send(
              new DeleteMessageBatchCommand({
                QueueUrl: opts.queueUrl,
                Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle as string })),
              }),
            );
          }
        } finally {
          inFlight -= messages.length;
        }
      } catch (err) {
        opts.onError(err);
        if (!running) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  };
  const workers = Array.from({ length: opts.concurrency }, worker);
  return {
    inFlight: () => inFlight,
    hold: () => {
      if (held) return;
      let release = () => {};
      const released = new Promise<void>((resolve) => (release = resolve));
      held = { released, release };
    },
    release: () => {
      const h = held;
      held = undefined;
      h?.release();
    },
    stop: async () => {
      running = false;
      held?.release();
      held = undefined;
      await Promise.all(workers);
    },
  };
}
