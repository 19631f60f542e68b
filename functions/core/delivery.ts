import { renderEvent, renderTest, type SlackMessage } from "./block-kit";
import { CredentialUnreadableError, DeliveryError } from "./errors";
import { newSortableId } from "./identity";
import { DELIVERY, MAX_ATTEMPTS } from "./operational";
import type {
  CredentialCipher,
  DeliveryRef,
  DeliveryStore,
  EventRecord,
  IntegrationRecord,
  NotificationRecord,
  SlackSender,
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

export type DeliverResult = AttemptOutcome | { status: "skipped"; reason: SkipReason };

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

/** Runs the open-and-post step, turning an unreadable credential into its failure code. */
async function openAndPost(step: () => Promise<AttemptOutcome>): Promise<AttemptOutcome | "credential_unreadable"> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof CredentialUnreadableError) return "credential_unreadable";
    throw err;
  }
}

/** What the delivery path may do around a post, from the batch that holds the message. */
export interface DeliverHooks {
  /**
   * Called once, right before the first post to Slack: the batch hands the channel's later messages back to the
   * queue here, so their visibility delay runs while this one is posted.
   */
  beforePost?(): Promise<void>;
}

/**
 * Delivers one queued notification: the record is the source of truth (attempts counted on it, pending → final
 * once), so redeliveries and crashes never post a delivered notification again nor exceed three attempts. Waits
 * longer than DELIVERY.maxInlineWaitMs (the channel's pacing, a backoff, Retry-After) are never slept: the result
 * says `requeue` with the delay, and the message waits in the queue, holding no worker.
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

  const messageFor = (n: NotificationRecord, event: EventRecord | undefined): SlackMessage | undefined => {
    if (n.type === "test") {
      return renderTest({
        workspaceId: n.workspace_id,
        channel: n.channel,
        dashboardUrl: deps.defaultDashboardUrl,
        at: n.created_at,
      });
    }
    return event && renderEvent(event.event, { defaultDashboardUrl: deps.defaultDashboardUrl });
  };

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
    const { notification: n, integration, event, lastPostAt } = await deps.store.loadDelivery(ref);
    if (!n) return { status: "skipped", reason: "unknown_notification" };
    if (n.status !== "pending")
      return { status: "skipped", reason: n.status === "delivered" ? "already_delivered" : "already_failed" };
    if (!integration || integration.connection_id !== n.connection_id)
      return fail(n, "not_connected", n.attempts, false);
    if (!integration.enabled) return fail(n, "disabled", n.attempts, false);
    const message = messageFor(n, event);
    if (!message) return fail(n, "event_not_found", n.attempts, false);

    const inlineWaitMs = () => Math.min(DELIVERY.maxInlineWaitMs, timeLeftMs());
    const pace = lastPostAt === undefined ? 0 : lastPostAt + deps.channelIntervalMs - deps.now();
    if (pace > inlineWaitMs()) return { status: "requeue", delayMs: pace, reason: "paced" };
    if (pace > 0) await deps.sleep(pace);

    let tried = 0;
    let announced = false;
    let postedAt = 0;
    // A credential that cannot be opened (tampered, corrupt, another binding) will never open: fail it now.
    const outcome = await openAndPost(() =>
      withCredential(deps.cipher, n.workspace_id, integration, (secret) =>
        runAttempts({
          begin: async () => {
            // A disconnect while we waited to retry stops the retries: nothing more is sent.
            if (tried++ > 0 && !(await stillConnected(n))) return { stop: "not_connected" };
            const started = await deps.store.startAttempt(n.workspace_id, n.id, MAX_ATTEMPTS);
            if (!started) return { stop: "attempts_exhausted" };
            // An earlier attempt started but its outcome was never written (the process died between Slack's answer
            // and the write): Slack may have that message already. Say so on the notification.
            if (started.attempts - 1 > (started.outcomes ?? 0) && !started.uncertain)
              await deps.store.markUncertain(n.workspace_id, n.id);
            return started.attempts;
          },
          post: async (attempt) => {
            if (!announced) {
              announced = true;
              await hooks.beforePost?.();
            }
            try {
              await deps.sender.post({ method: integration.method, secret, channel: n.channel }, message);
              // The channel's pace counts from Slack's answer, not from the writes that follow it.
              postedAt = deps.now();
            } catch (err) {
              // The outcome first, then the pace: the window in which a crash loses an outcome stays one write wide.
              await deps.store.recordOutcome(n.workspace_id, n.id, attempt);
              await deps.store.recordPost(n.workspace_id, n.channel, deps.now());
              throw err;
            }
          },
          sleep: deps.sleep,
          waitBudgetMs: inlineWaitMs,
          roomForPost: () => timeLeftMs() >= deps.postTimeoutMs,
        }),
      ),
    );
    if (outcome === "credential_unreadable") return fail(n, "credential_unreadable", n.attempts, false);
    if (outcome.status === "delivered") {
      // Nothing before this write: it is what makes a redelivery of this message a no-op.
      await deps.store.finish(n.workspace_id, n.id, { status: "delivered" });
      await deps.store.recordPost(n.workspace_id, n.channel, postedAt, {
        status: "delivered",
        at: new Date(postedAt).toISOString(),
        connection_id: n.connection_id,
      });
      return outcome;
    }
    if (outcome.status === "failed") {
      if (outcome.error === "attempts_exhausted" && !(await stillConnected(n)))
        return fail(n, "not_connected", MAX_ATTEMPTS, false);
      return fail(n, outcome.error, outcome.attempts, outcome.exhausted);
    }
    return outcome;
  };
}
