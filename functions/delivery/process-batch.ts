import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import * as z from "zod/mini";
import { countFailure, emit, logger } from "../adapters/observability";
import type { DeliverHooks, DeliverResult } from "../core/delivery";
import { DELIVERY, METRICS } from "../core/operational";
import type { DeliveryRef } from "../core/ports";

/** The queue message the pipe writes: references only, never a credential or message text. */
export const queueMessageSchema = z.object({
  workspace_id: z.string().check(z.minLength(1)),
  notification_id: z.string().check(z.minLength(1)),
  // Absent in messages queued before the pipe carried them: delivery then reads the notification first.
  event_id: z.optional(z.string().check(z.minLength(1))),
  channel: z.optional(z.string().check(z.minLength(1))),
});

/** What the batch does to messages itself, instead of waiting for the event source mapping at the end. */
export interface DeliveryQueue {
  /** Deletes a finished message now, so its channel's next message need not wait for the rest of the batch. */
  remove(receiptHandle: string): Promise<void>;
  /** Hands messages back, hidden for `seconds` (0: at once); a handle that is no longer in flight is left alone. */
  handBack(receiptHandles: string[], seconds: number): Promise<void>;
}

export interface BatchDeps {
  deliver(ref: DeliveryRef, timeLeftMs: () => number, hooks?: DeliverHooks): Promise<DeliverResult>;
  queue: DeliveryQueue;
  channelIntervalMs: number;
}

/** A wait in whole seconds of visibility (SQS's unit): short enough that the rest is slept when it comes back. */
export const visibilitySecondsFor = (delayMs: number) =>
  Math.min(43_200, Math.max(0, Math.ceil((delayMs - DELIVERY.maxInlineWaitMs) / 1000)));

const parseJson = (body: string): unknown => {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
};

/** What an operator sees of one delivery: the outcome at INFO, a permanent failure at WARN with Slack's code. */
function report(notificationId: string, result: DeliverResult, sentAt: number) {
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
    case "updated":
      if (result.error) {
        logger.warn("thread update failed", { notification_id: notificationId, thread_error: result.error });
        emit(METRICS.threadUpdateFailures);
      } else {
        logger.info("thread updated", { notification_id: notificationId });
        emit(METRICS.threadUpdates);
      }
      return;
  }
}

/** The batch's records by FIFO message group (one channel of one workspace), each group in queue order. */
function byGroup(records: SQSRecord[]): SQSRecord[][] {
  const groups = new Map<string, SQSRecord[]>();
  for (const r of records) {
    const key = r.attributes.MessageGroupId ?? r.messageId;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()];
}

/**
 * The delivery function's batch: each channel (FIFO group) on its own, all at once, so one channel's slow post,
 * retries or pacing never hold up another's. Within a channel, order holds: a message that must wait goes back to
 * the queue with the rest of its channel behind it (FIFO keeps the group blocked meanwhile); a channel's last finished
 * message is deleted at once while other channels of the batch are still busy, which frees its channel for the next.
 */
export function makeProcessBatch(deps: BatchDeps) {
  /** Whether posts to one channel must be spaced by more than a wait this function sleeps. */
  const paced = deps.channelIntervalMs > DELIVERY.maxInlineWaitMs;

  async function processGroup(records: SQSRecord[], context: Context, failures: string[], othersOpen: () => boolean) {
    const timeLeftMs = () => context.getRemainingTimeInMillis() - DELIVERY.safetyMarginMs;
    // The event source mapping deletes every message the batch does not report as failed when the invocation ends.
    // A finished message is deleted here only when that end is not near: the channel's last message of the batch
    // while other channels' posts are still open, so the channel's next message can be received meanwhile.
    const finished = async (record: SQSRecord, last: boolean) => {
      if (last && othersOpen()) await deps.queue.remove(record.receiptHandle);
    };
    for (const [i, record] of records.entries()) {
      const rest = records.slice(i + 1);
      const parsed = queueMessageSchema.safeParse(parseJson(record.body));
      if (!parsed.success) {
        // Nothing to deliver and nothing to retry: drop it, loudly.
        logger.error("malformed queue message dropped", { messageId: record.messageId });
        await finished(record, rest.length === 0);
        continue;
      }
      const ref = parsed.data;
      // With a channel interval longer than an inline wait, the next message of this channel cannot be posted in this
      // invocation without holding it: it goes back now, and its visibility delay runs while this one is posted.
      let restHandedBack = false;
      const hooks: DeliverHooks =
        rest.length && paced
          ? {
              beforePost: async () => {
                await deps.queue.handBack(
                  rest.map((r) => r.receiptHandle),
                  visibilitySecondsFor(deps.channelIntervalMs),
                );
                restHandedBack = true;
              },
            }
          : {};
      let result: DeliverResult;
      try {
        result = await deps.deliver(ref, timeLeftMs, hooks);
      } catch (err) {
        // DynamoDB, KMS or a bug: logged with its stack and counted for the alarm. The message and the rest of its
        // channel stay on the queue (the visibility timeout is their backoff).
        logger.error("delivery record failed", {
          notification_id: ref.notification_id,
          workspace_id: ref.workspace_id,
          error: err as Error,
        });
        emit(METRICS.deliveryRecordErrors);
        failures.push(record.messageId, ...rest.map((r) => r.messageId));
        return;
      }
      report(ref.notification_id, result, Number(record.attributes.SentTimestamp));
      // A wait (pacing, a retry, or a delivered reply's status update still to come) keeps the message and the rest
      // of its channel on the queue for that long.
      const waitMs =
        result.status === "requeue" ? result.delayMs : "followUpMs" in result ? result.followUpMs : undefined;
      if (waitMs !== undefined) {
        const later = [record, ...rest];
        await deps.queue.handBack(
          later.map((r) => r.receiptHandle),
          visibilitySecondsFor(waitMs),
        );
        failures.push(...later.map((r) => r.messageId));
        return;
      }
      // A posted message is not kept back for the interval. Its channel's later messages in this batch already went
      // back for the interval before the post; one that arrives sooner (a next receive, a new event) finds the
      // channel's pace in its first read and goes back for the rest of the interval. So a channel that is not busy
      // costs one visit per post, and a busy one too, since SQS hands a batch a channel's later messages together.
      await finished(record, rest.length === 0 || restHandedBack);
      if (restHandedBack) {
        failures.push(...rest.map((r) => r.messageId));
        return;
      }
    }
  }

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const failures: string[] = [];
    const groups = byGroup(event.Records);
    let open = groups.length;
    await Promise.all(
      groups.map(async (group) => {
        try {
          await processGroup(group, context, failures, () => open > 1);
        } finally {
          open--;
        }
      }),
    );
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}
