import { renderEvent, renderTest } from "./block-kit";
import { CredentialUnreadableError, DeliveryError } from "./errors";
import { newSortableId } from "./identity";
import { DELIVERY, MAX_ATTEMPTS } from "./operational";
import type { UpgradeEvent } from "./events";
import type { ChannelConfig } from "./settings";
import { applyEvent, broadcasts, renderStatus, type ThreadState, threadKeyOf, withMentions } from "./threads";
import type {
  ChannelOutcome,
  CredentialCipher,
  DeliveryRef,
  DeliveryStore,
  EventRecord,
  IntegrationRecord,
  NotificationRecord,
  Posted,
  SlackSender,
  ThreadRecord,
} from "./ports";
import { retryDelayMs } from "./retry-policy";

/** The FIFO message group of a notification: one channel of one workspace, delivered in order. */
export const deliveryGroup = (workspaceId: string, channel: string) => `${workspaceId}#${channel}`;

/** Our own reasons to end a notification without (another) post; recorded as its error code. */
export type StopReason =
  "attempts_exhausted" | "not_connected" | "disabled" | "event_not_found" | "credential_unreadable";
/** Why a queued message was left alone: it is not (or no longer) pending. */
export type SkipReason = "already_delivered" | "already_failed" | "unknown_notification" | "finished_elsewhere";
/**
 * Why a message goes back to the queue: the channel's pacing or a retry wait (Retry-After) beyond this invocation, or
 * too little time left for another post and its answer to be recorded.
 */
export type RequeueReason = "paced" | "retry_wait" | "time_limit";

export type AttemptOutcome =
  | { status: "delivered"; attempts: number }
  /** `error` is Slack's code (or ours: http_502, timeout, …) or a StopReason. */
  | { status: "failed"; error: string; attempts: number; exhausted: boolean }
  /** A wait longer than the time left: hand the message back to the queue for that long. */
  | { status: "requeue"; delayMs: number; reason: RequeueReason; error?: string };

export interface AttemptLoop {
  /** Called before each attempt; returns the attempt's 1-based number, or the reason no attempt may be made. */
  begin(): Promise<number | { stop: StopReason }>;
  post(attempt: number): Promise<void>;
  sleep(ms: number): Promise<void>;
  /** Milliseconds this invocation may still spend waiting. */
  waitBudgetMs(): number;
  /** Whether one more post (with its timeout) and the write of its outcome still fit; absent: always. */
  roomForPost?(): boolean;
}

/** The retry policy as a loop: retryable failures wait 1 s, then 2 s (or Retry-After); permanent ones end it at once. */
export async function runAttempts(loop: AttemptLoop): Promise<AttemptOutcome> {
  let last = 0;
  for (;;) {
    if (loop.roomForPost && !loop.roomForPost()) return { status: "requeue", delayMs: 0, reason: "time_limit" };
    const attempt = await loop.begin();
    if (typeof attempt !== "number") {
      const exhausted = attempt.stop === "attempts_exhausted";
      return { status: "failed", error: attempt.stop, attempts: exhausted ? MAX_ATTEMPTS : last, exhausted };
    }
    last = attempt;
    try {
      await loop.post(attempt);
      return { status: "delivered", attempts: attempt };
    } catch (err) {
      if (!(err instanceof DeliveryError)) throw err;
      const delay = retryDelayMs(attempt, err);
      if (delay === undefined)
        return { status: "failed", error: err.code, attempts: attempt, exhausted: err.retryable };
      if (delay > loop.waitBudgetMs())
        return { status: "requeue", delayMs: delay, reason: "retry_wait", error: err.code };
      await loop.sleep(delay);
    }
  }
}

export interface DeliverDeps {
  store: DeliveryStore;
  cipher: CredentialCipher;
  sender: SlackSender;
  sleep(ms: number): Promise<void>;
  now(): number;
  channelIntervalMs: number;
  /** One post's timeout: an attempt starts only when it and the outcome's write fit in the time left. */
  postTimeoutMs: number;
  defaultDashboardUrl: string;
  /** Where a notification goes after its last attempt failed on a retryable error (no secret in it). */
  deadLetter(entry: {
    workspace_id: string;
    notification_id: string;
    channel: string;
    error: string;
    attempts: number;
  }): Promise<void>;
}

export type DeliverResult =
  | AttemptOutcome
  | { status: "skipped"; reason: SkipReason }
  /** A delivered reply whose status message update follows after `followUpMs` (the message stays queued for it). */
  | { status: "delivered"; attempts: number; followUpMs: number }
  /** This visit only updated the thread's status message (`error`: it failed for good, as thread_error). */
  | { status: "updated"; error?: string };

/**
 * Opens the credential for one use and zeroes it after, whatever happens. `workspaceId` is the id the integration was
 * looked up under, never the one stored in it, so an item copied under another workspace's key cannot open there.
 */
export async function withCredential<T>(
  cipher: CredentialCipher,
  workspaceId: string,
  integration: IntegrationRecord,
  use: (secret: string) => Promise<T>,
): Promise<T> {
  const plain = await cipher.open(integration.credential, {
    workspace_id: workspaceId,
    method: integration.method,
    connection_id: integration.connection_id,
  });
  try {
    return await use(plain.toString("utf8"));
  } finally {
    plain.fill(0);
  }
}

/** A new notification record: pending, no attempts yet, its own id as the queue's deduplication id. */
export function newNotification(
  fields: Pick<NotificationRecord, "workspace_id" | "event_id" | "type" | "channel" | "connection_id">,
  at = new Date().toISOString(),
): NotificationRecord {
  const id = newSortableId("ntf");
  return { ...fields, id, status: "pending", attempts: 0, created_at: at, updated_at: at, dispatch_id: id };
}

/** What the batch that holds the message learns from this delivery. */
export interface DeliverHooks {
  /**
   * Called once, right after Slack answered this delivery's first call (or the call failed), before the writes that
   * follow. It only starts the batch's own work (the channel's later messages may need handing back again, from this
   * answer) and returns at once: the batch awaits that after the delivery, so a failing queue call never comes between
   * a post and the record of its outcome.
   */
  afterCall?(): void;
}

/** Slack says the thread's parent is gone: a reply cannot go there. */
const GONE_THREAD = new Set(["thread_not_found", "invalid_thread_ts"]);
/** Slack says the status message can no longer be edited. */
const GONE_STATUS = new Set(["message_not_found", "cant_update_message", "edit_window_closed"]);

/**
 * Delivers one queued notification: the record is the source of truth (attempts counted on it, pending → final
 * once), so redeliveries and crashes never post a delivered notification again nor exceed three attempts. Waits
 * longer than DELIVERY.maxInlineWaitMs (the channel's pacing, a backoff, Retry-After) are never slept: the result
 * says `requeue` with the delay, and the message waits in the queue, holding no worker.
 *
 * In a thread (contract section 5) one notification is up to three paced Slack calls: the status message (first
 * event of a thread), the reply (the notification's commit point), the status message's update (retried on its own).
 * Each step is recorded before the next, so a retry or a crash resumes after the last one recorded.
 */
export function makeDeliver(deps: DeliverDeps) {
  const fail = async (
    n: NotificationRecord,
    error: string,
    attempts: number,
    exhausted: boolean,
  ): Promise<DeliverResult> => {
    const changed = await deps.store.finish(n.workspace_id, n.id, { status: "failed", error });
    if (!changed) return { status: "skipped", reason: "finished_elsewhere" };
    // The channel's health follows its latest finished notification (a failure may have made no post at all).
    const at = new Date(deps.now()).toISOString();
    await deps.store.recordHealth(n.workspace_id, n.channel, {
      status: "failed",
      error,
      at,
      connection_id: n.connection_id,
    });
    if (exhausted)
      await deps.deadLetter({
        workspace_id: n.workspace_id,
        notification_id: n.id,
        channel: n.channel,
        error,
        attempts,
      });
    return { status: "failed", error, attempts, exhausted };
  };

  /** The channel's health after a delivery: written with the pace, no write of its own. */
  const deliveredAt = (n: NotificationRecord, at: number): ChannelOutcome => ({
    status: "delivered",
    at: new Date(at).toISOString(),
    connection_id: n.connection_id,
  });

  const render = { defaultDashboardUrl: deps.defaultDashboardUrl };
  const messageFor = (n: NotificationRecord, event: EventRecord | undefined, channel: ChannelConfig | undefined) => {
    if (n.type === "test") {
      return renderTest({
        workspaceId: n.workspace_id,
        channel: n.channel,
        dashboardUrl: deps.defaultDashboardUrl,
        at: n.created_at,
      });
    }
    return event && withMentions(renderEvent(event.event, render), channel, event.event);
  };

  /** The status message's count, less the reply of the notification that opened the thread and then failed. */
  const uncount = (thread: ThreadRecord) =>
    deps.store.applyToThread(
      thread,
      { ...thread.state, replies: Math.max(0, thread.state.replies - 1) },
      `uncounted:${thread.last_applied}`,
    );

  const stillConnected = async (n: NotificationRecord) => {
    const current = await deps.store.getIntegration(n.workspace_id);
    return current?.connection_id === n.connection_id;
  };

  return async function deliver(
    ref: DeliveryRef,
    /** Milliseconds the invocation has left after its safety margin. */
    timeLeftMs: () => number,
    hooks: DeliverHooks = {},
  ): Promise<DeliverResult> {
    const loaded = await deps.store.loadDelivery(ref);
    const { integration, event } = loaded;
    let n = loaded.notification;
    if (!n) return { status: "skipped", reason: "unknown_notification" };
    const updateDue = n.status === "delivered" && n.thread_update === "pending";
    if (n.status !== "pending" && !updateDue)
      return { status: "skipped", reason: n.status === "delivered" ? "already_delivered" : "already_failed" };
    const current = n;
    /**
     * A refusal that no retry changes: the notification fails, or, when only its status update was left, that does.
     * A notification that opened its upgrade's thread had its reply counted by the status message before the reply
     * was posted; failing before the reply, it leaves the count (the next update shows it).
     */
    const refuse = async (error: string): Promise<DeliverResult> => {
      if (!updateDue) {
        const key = event && current.type !== "test" ? threadKeyOf(event.event) : undefined;
        const opened = key && (await deps.store.getThread(current.workspace_id, current.channel, key));
        if (opened && opened.last_applied === current.id) await uncount(opened);
        return fail(current, error, current.attempts, false);
      }
      await deps.store.finishUpdate(current.workspace_id, current.id, error);
      return { status: "updated", error };
    };
    const unusable =
      !integration || integration.connection_id !== n.connection_id
        ? "not_connected"
        : !integration.enabled && n.type !== "test"
          ? "disabled"
          : undefined;
    if (unusable || !integration) return refuse(unusable ?? "not_connected");
    // A retry wait cut short (the message queued again without its delay): the rest of it, in the queue.
    const retryWaitMs = current.retry_at ? Date.parse(current.retry_at) - deps.now() : 0;
    if (retryWaitMs > Math.min(DELIVERY.maxInlineWaitMs, timeLeftMs()))
      return { status: "requeue", delayMs: retryWaitMs, reason: "retry_wait" };
    const channel = integration.channels.find((c) => c.name === current.channel);
    const message = messageFor(n, event, channel);
    if (!message || (!event && n.type !== "test")) return refuse("event_not_found");
    const key =
      integration.threads && integration.method !== "webhook" && event && n.type !== "test"
        ? threadKeyOf(event.event)
        : undefined;

    const ws = n.workspace_id;
    let lastPost = loaded.lastPostAt;
    const inlineWaitMs = () => Math.min(DELIVERY.maxInlineWaitMs, timeLeftMs());
    /** The rest of the interval still to sleep before the next Slack call. */
    let owedMs = 0;
    /**
     * The channel's pacing before the next Slack call: undefined when it may go after a short sleep (owed, slept while
     * the call's attempt is recorded), else the requeue for the rest of the interval.
     */
    const paceWait = (): Extract<DeliverResult, { status: "requeue" }> | undefined => {
      const pace = lastPost === undefined ? 0 : lastPost + deps.channelIntervalMs - deps.now();
      if (pace > inlineWaitMs()) return { status: "requeue", delayMs: pace, reason: "paced" };
      owedMs = Math.max(0, pace);
      return undefined;
    };
    /** An attempt's record, written while the owed rest of the interval is slept: the call goes when both are done. */
    const withPace = async <T>(write: Promise<T>): Promise<T> => {
      const ms = owedMs;
      owedMs = 0;
      const [written] = await Promise.all([write, ms > 0 ? deps.sleep(ms) : undefined]);
      return written;
    };
    let answered = false;
    /** Slack answered (or the call failed): the pace counts from now, which it returns. */
    const slackAnswered = (): number => {
      const at = deps.now();
      lastPost = at;
      if (!answered) {
        answered = true;
        hooks.afterCall?.();
      }
      return at;
    };
    /**
     * A delivered post's two writes, side by side: the outcome (nothing before it: it is what makes a redelivery of
     * this message a no-op) and the channel's pace and health, so the post holds its worker one write less.
     */
    const recordDelivered = async (fields: Parameters<DeliveryStore["finish"]>[2]) => {
      const at = lastPost as number;
      await Promise.all([
        deps.store.finish(ws, current.id, fields),
        deps.store.recordPost(ws, current.channel, at, deliveredAt(current, at)),
      ]);
    };
    const target = (secret: string) => ({ method: integration.method, secret, channel: current.channel });
    const roomForPost = () => timeLeftMs() >= deps.postTimeoutMs;

    /** Attempts at one of the notification's own posts (the status message or its message), counted on the record. */
    let tried = 0;
    const notificationAttempts = async (call: () => Promise<Posted>) => {
      let posted: Posted = {};
      const outcome = await runAttempts({
        begin: async () => {
          // A disconnect while we waited to retry stops the retries: nothing more is sent.
          if (tried++ > 0 && !(await stillConnected(current))) return { stop: "not_connected" };
          const started = await withPace(deps.store.startAttempt(ws, current.id, MAX_ATTEMPTS));
          if (!started) {
            // The last attempt was cut off before its outcome was written: Slack may have that message.
            const cutOff = current.attempts >= MAX_ATTEMPTS && current.attempts > (current.outcomes ?? 0);
            if (tried === 1 && cutOff && !current.uncertain) await deps.store.markUncertain(ws, current.id);
            return { stop: "attempts_exhausted" };
          }
          // An earlier attempt started but its outcome was never written (the process died between Slack's answer
          // and the write): Slack may have that message already. Say so on the notification.
          if (started.attempts - 1 > (started.outcomes ?? 0) && !started.uncertain)
            await deps.store.markUncertain(ws, current.id);
          return started.attempts;
        },
        post: async (attempt) => {
          try {
            posted = await call();
            // The channel's pace counts from Slack's answer, not from the writes that follow it.
            slackAnswered();
          } catch (err) {
            const at = slackAnswered();
            // The outcome first, then the pace: the window in which a crash loses an outcome stays one write wide.
            await deps.store.recordOutcome(ws, current.id, attempt);
            // No answer in time: Slack may have the message all the same, so a later attempt may post it twice.
            if (err instanceof DeliveryError && err.code === "timeout") await deps.store.markUncertain(ws, current.id);
            await deps.store.recordPost(ws, current.channel, at);
            throw err;
          }
        },
        sleep: deps.sleep,
        waitBudgetMs: inlineWaitMs,
        roomForPost,
      });
      return { outcome, posted };
    };

    /** Back to the queue; a retry wait is kept on the record too, so it holds however the message comes back. */
    const requeued = async (outcome: Extract<AttemptOutcome, { status: "requeue" }>) => {
      if (outcome.reason === "retry_wait")
        await deps.store.deferRetry(ws, current.id, new Date(deps.now() + outcome.delayMs).toISOString());
      return outcome;
    };

    /** A main step that did not deliver: failed for good, or back to the queue. */
    const notDelivered = async (outcome: Exclude<AttemptOutcome, { status: "delivered" }>): Promise<DeliverResult> => {
      if (outcome.status === "requeue") return requeued(outcome);
      if (outcome.error === "attempts_exhausted" && !(await stillConnected(current)))
        return fail(current, "not_connected", MAX_ATTEMPTS, false);
      return fail(current, outcome.error, outcome.attempts, outcome.exhausted);
    };

    const standalone = async (secret: string): Promise<DeliverResult> => {
      const wait = paceWait();
      if (wait) return wait;
      const { outcome, posted } = await notificationAttempts(() => deps.sender.post(target(secret), message));
      if (outcome.status !== "delivered") return notDelivered(outcome);
      await recordDelivered({ status: "delivered", ...(posted.ts ? { slack_ts: posted.ts } : {}) });
      return outcome;
    };

    const threaded = async (secret: string, upgrade: UpgradeEvent, threadKey: string): Promise<DeliverResult> => {
      let thread = await deps.store.getThread(ws, current.channel, threadKey);
      let delivered: number | undefined;
      /**
       * The thread a status post opened. Slack always answers with the channel's id and the message's ts; an answer
       * without a ts (a proxy or stand-in that drops it) leaves nothing to reply to: the thread is then recorded with
       * an empty ts and its steps are posted on their own, so nothing is lost and nothing loops.
       */
      const newThread = (posted: Posted, state: ThreadState): ThreadRecord => ({
        workspace_id: ws,
        channel: current.channel,
        key: threadKey,
        channel_id: posted.channel_id ?? current.channel,
        ts: posted.ts ?? "",
        state,
        seq: 1,
        shown_seq: 1,
        last_applied: current.id,
        opened_by: current.id,
        updated_at: new Date(deps.now()).toISOString(),
      });

      while (n?.status === "pending") {
        const wait = paceWait();
        if (wait) return wait;
        if (!thread || thread.gone) {
          // The first event of this upgrade here (or its thread is gone): the status message first, this step in it.
          const state = applyEvent(thread ? { ...thread.state, replies: 0 } : undefined, upgrade, render, current.id);
          const { outcome, posted } = await notificationAttempts(() =>
            deps.sender.post(target(secret), renderStatus(state)),
          );
          if (outcome.status !== "delivered") return notDelivered(outcome);
          const opened = {
            ...newThread(posted, state),
            ...(thread?.reopened_for ? { reopened_for: thread.reopened_for } : {}),
          };
          const stored = await deps.store.openThread(opened, {
            ...(thread ? { replacing: thread.ts } : {}),
            resetAttemptsOf: current.id,
          });
          await deps.store.recordPost(ws, current.channel, lastPost as number);
          tried = 0;
          // Another writer's thread won (it cannot within one FIFO group; only an operator's redrive could race).
          thread = stored ? opened : await deps.store.getThread(ws, current.channel, threadKey);
          continue;
        }
        const parent = thread;
        if (parent.ts === "") return standalone(secret);
        const { outcome, posted } = await notificationAttempts(() =>
          deps.sender.post(target(secret), message, { threadTs: parent.ts, broadcast: broadcasts(upgrade) }),
        );
        if (
          outcome.status === "failed" &&
          GONE_THREAD.has(outcome.error) &&
          parent.reopened_for !== current.dispatch_id
        ) {
          // Deleted under us: a new status message starts the thread again (recorded, so a requeue remembers it),
          // and this reply goes there. Once per delivery: refused again, it fails (a retry may start it again).
          thread = { ...parent, gone: true, reopened_for: current.dispatch_id };
          await deps.store.openThread(thread, { replacing: parent.ts });
          continue;
        }
        if (outcome.status !== "delivered") {
          // The status message counts this reply when this notification opened it (it is posted just before): a
          // reply that fails for good leaves the count, which the next update shows, and a retry counts it again.
          if (outcome.status === "failed" && parent.last_applied === current.id) await uncount(parent);
          return notDelivered(outcome);
        }
        const due = parent.last_applied !== current.id;
        await recordDelivered({
          status: "delivered",
          ...(posted.ts ? { slack_ts: posted.ts } : {}),
          thread_ts: parent.ts,
          ...(due ? { thread_update: "pending" as const } : {}),
        });
        if (!due) return outcome;
        delivered = outcome.attempts;
        n = { ...current, status: "delivered", thread_update: "pending" };
      }

      // The status message shows this step: its update, retried on its own, never re-posting the reply.
      if (!thread) {
        await deps.store.finishUpdate(ws, current.id, "thread_not_found");
        return { status: "updated", error: "thread_not_found" };
      }
      if (thread.last_applied !== current.id) {
        const state = applyEvent(thread.state, upgrade, render, current.id);
        await deps.store.applyToThread(thread, state, current.id);
        thread = { ...thread, state, seq: thread.seq + 1, last_applied: current.id };
      }
      const shown = thread;
      /** This visit's result once the update is done (or failed for good): the reply's when it posted one. */
      const done = (error?: string): DeliverResult =>
        delivered === undefined
          ? { status: "updated", ...(error ? { error } : {}) }
          : { status: "delivered", attempts: delivered };
      /** The update must wait: back to the queue, or, after this visit's reply, the reply's result with the wait. */
      const later = (requeue: Extract<AttemptOutcome, { status: "requeue" }>): DeliverResult =>
        delivered === undefined ? requeue : { status: "delivered", attempts: delivered, followUpMs: requeue.delayMs };
      if (shown.shown_seq >= shown.seq && !shown.gone) {
        await deps.store.finishUpdate(ws, current.id);
        return done();
      }
      const wait = paceWait();
      if (wait) return later(wait);
      let restarted: Posted | undefined;
      const outcome = await runAttempts({
        begin: async () =>
          (await withPace(deps.store.startUpdate(ws, current.id, MAX_ATTEMPTS))) ?? { stop: "attempts_exhausted" },
        post: async () => {
          try {
            if (shown.gone) {
              restarted = await deps.sender.post(target(secret), renderStatus({ ...shown.state, replies: 0 }));
            } else {
              await deps.sender.update(
                { secret, channelId: shown.channel_id, ts: shown.ts },
                renderStatus(shown.state),
              );
            }
          } finally {
            await deps.store.recordPost(ws, current.channel, slackAnswered());
          }
        },
        sleep: deps.sleep,
        waitBudgetMs: inlineWaitMs,
        roomForPost,
      });
      if (outcome.status === "requeue") return later(await requeued(outcome));
      if (outcome.status === "failed" && GONE_STATUS.has(outcome.error)) {
        // Not editable any more: a new status message takes over the thread (the next visit posts it, paced).
        await deps.store.openThread({ ...shown, gone: true }, { replacing: shown.ts });
        return later({ status: "requeue", delayMs: deps.channelIntervalMs, reason: "paced" });
      }
      const error = outcome.status === "failed" ? outcome.error : undefined;
      if (restarted) {
        const opened = newThread(restarted, { ...shown.state, replies: 0 });
        await deps.store.openThread({ ...opened, seq: shown.seq, shown_seq: shown.seq }, { replacing: shown.ts });
      } else if (!error) {
        await deps.store.markShown(shown, shown.seq);
      }
      await deps.store.finishUpdate(ws, current.id, error);
      return done(error);
    };

    // A credential that cannot be opened (tampered, corrupt, another binding) will never open: fail it now.
    try {
      return await withCredential(deps.cipher, ws, integration, (secret) =>
        key && event ? threaded(secret, event.event, key) : standalone(secret),
      );
    } catch (err) {
      if (!(err instanceof CredentialUnreadableError)) throw err;
      return refuse("credential_unreadable");
    }
  };
}
