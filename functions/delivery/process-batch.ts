import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import * as z from "zod/mini";
import { countFailure, emit, logger } from "../adapters/observability";
import type { DeliverHooks, DeliverResult } from "../core/delivery";
import { DELIVERY, METRICS } from "../core/operational";
import { RATE_LIMIT_CODES } from "../core/retry-policy";
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
  now(): number;
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
      if (RATE_LIMIT_CODES.has(result.error ?? "")) emit(METRICS.rateLimited);
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
  /** The interval in whole seconds of visibility, for the messages a channel's post sends back. */
  const interval = visibilitySecondsFor(deps.channelIntervalMs);

  /**
   * One channel's messages of the batch, in order. Every message ends up settled: reported as failed (left on the
   * queue, most after handing them back for a delay) or finished (deleted now, or left to the event source mapping,
   * which deletes every message not reported when the invocation ends).
   */
  async function processGroup(
    records: SQSRecord[],
    context: Context,
    out: { failures: string[]; settled: Set<string> },
    othersOpen: () => boolean,
  ) {
    const timeLeftMs = () => context.getRemainingTimeInMillis() - DELIVERY.safetyMarginMs;
    const fail = (rs: SQSRecord[]) => {
      for (const r of rs) {
        out.failures.push(r.messageId);
        out.settled.add(r.messageId);
      }
    };
    // Deleted here only when the invocation's end is not near: the channel's last message of the batch while other
    // channels' posts are still open, so the channel's next message can be received meanwhile.
    const finished = async (record: SQSRecord, last: boolean) => {
      if (last && othersOpen()) await deps.queue.remove(record.receiptHandle);
      out.settled.add(record.messageId);
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
      // With a channel interval longer than an inline wait, the channel's next message cannot be posted in this
      // invocation without holding it: the rest go back for the interval as soon as this one is taken up, so they come
      // back about when the pace (counted from Slack's answer to this one) allows the next post, and wait at most a
      // short sleep: one visit per post for a busy channel. Should Slack take longer than such a sleep to answer, they
      // go back again from the answer; should this one make no call at all, the next is taken back and handled now. The
      // posted message itself is not held: one that arrives sooner (a new event) finds the pace in its first read
      // and goes back for the rest of the interval.
      const handles = rest.map((r) => r.receiptHandle);
      let handingBack: Promise<void> | undefined;
      let called = false;
      const handBackRest = () => {
        // One after the other, so the later visibility is the one that holds.
        const previous = handingBack;
        handingBack = previous
          ? previous.then(() => deps.queue.handBack(handles, interval))
          : deps.queue.handBack(handles, interval);
        // Awaited once the delivery returns; until then a failure must not count as unhandled.
        handingBack.catch(() => {});
      };
      const hooks: DeliverHooks = {};
      if (rest.length && paced) {
        handBackRest();
        // Back one interval after this one was taken up, the next would find at most the time from then to Slack's
        // answer still to wait: more than a sleep, and it goes back again from the answer.
        const takenUpAt = deps.now();
        hooks.afterCall = () => {
          called = true;
          if (deps.now() - takenUpAt > DELIVERY.maxInlineWaitMs) handBackRest();
        };
      }
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
        fail([record, ...rest]);
        await handingBack;
        return;
      }
      await handingBack;
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
        fail(later);
        return;
      }
      if (called) {
        fail(rest);
        await finished(record, true);
        return;
      }
      // No call was made (skipped, or refused): nothing to pace, so the next message is taken back and handled now
      // (its own rest go back again as it is taken up).
      if (handingBack)
        await deps.queue.handBack(handles.slice(0, 1), Math.ceil(context.getRemainingTimeInMillis() / 1000));
      await finished(record, rest.length === 0);
    }
  }

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const out = { failures: [] as string[], settled: new Set<string>() };
    const groups = byGroup(event.Records);
    let open = groups.length;
    await Promise.all(
      groups.map(async (group) => {
        try {
          await processGroup(group, context, out, () => open > 1);
        } catch (err) {
          // A queue call failed (SQS unavailable, say): this channel's unsettled messages stay on the queue, and the
          // batch still answers, so the other channels' finished messages are deleted as usual.
          logger.error("delivery queue call failed", { error: err as Error });
          emit(METRICS.deliveryRecordErrors);
          for (const r of group) if (!out.settled.has(r.messageId)) out.failures.push(r.messageId);
        } finally {
          open--;
        }
      }),
    );
    return { batchItemFailures: [...new Set(out.failures)].map((itemIdentifier) => ({ itemIdentifier })) };
  };
}
