import type { SlackMessage } from "./block-kit";
import type { Condition } from "./conditions";
import type { EventType, UpgradeEvent } from "./events";
import type { ChannelConfig, IntegrationSettings, Method } from "./settings";
import type { ThreadState } from "./threads";

/**
 * A credential as stored: AES-256-GCM ciphertext plus the KMS-wrapped data key that opens it. Version 2 binds it to
 * its workspace, method and connection; version 1 (sealed before that) only to its workspace.
 */
export interface SealedCredential {
  v: 1 | 2;
  key_id: string;
  wrapped_key: string;
  iv: string;
  tag: string;
  ciphertext: string;
}

/**
 * What a sealed credential is bound to. `workspace_id` is the id the record was looked up under, never the id stored
 * in it: an item copied under another workspace's key must not open there.
 */
export interface CredentialBinding {
  workspace_id: string;
  method: Method;
  connection_id: string;
}

/** Makes and unwraps data keys bound to an encryption context (KMS in AWS, a master key file locally). */
export interface KeyProvider {
  generateDataKey(context: Record<string, string>): Promise<{ plaintext: Buffer; wrapped: Buffer; keyId: string }>;
  decryptDataKey(wrapped: Buffer, context: Record<string, string>): Promise<Buffer>;
}

export interface CredentialCipher {
  seal(plaintext: Buffer, binding: CredentialBinding): Promise<SealedCredential>;
  /** The caller zeroes the returned Buffer when done with it. */
  open(sealed: SealedCredential, binding: CredentialBinding): Promise<Buffer>;
}

export interface IntegrationRecord extends IntegrationSettings {
  workspace_id: string;
  credential: SealedCredential;
  credential_hint: string;
  /** Who the token is, from the preflight; null for webhooks, absent on records stored before the preflight existed. */
  slack?: SlackIdentity | null;
  /** Changes on every fresh connect, so notifications queued for an earlier connection fail as not_connected. */
  connection_id: string;
  created_at: string;
  updated_at: string;
}

export type NotificationStatus = "pending" | "delivered" | "failed";
export type NotificationType = EventType | "test";

export interface NotificationRecord {
  workspace_id: string;
  id: string;
  event_id: string;
  type: NotificationType;
  channel: string;
  status: NotificationStatus;
  /** Attempts started. */
  attempts: number;
  /** Attempts whose outcome was recorded; fewer than the attempts before the current one means one was lost. */
  outcomes?: number;
  /** An earlier attempt's outcome was never recorded: Slack may have posted it (contract section 4). */
  uncertain?: boolean;
  /**
   * No attempt before this time (ISO): the wait a retryable failure asked for (the backoff, Retry-After, a minute for
   * message_limit_exceeded), kept on the record so a message queued again without its delay (a restart of the local
   * run) still waits it out.
   */
  retry_at?: string;
  error?: string;
  created_at: string;
  updated_at: string;
  delivered_at?: string;
  connection_id: string;
  /** The queue's deduplication id; a manual retry sets a new one so deduplication does not swallow it. */
  dispatch_id: string;
  /** The message's ts and its thread's, once Slack answered with them (tokens only). */
  slack_ts?: string;
  thread_ts?: string;
  /** The thread's status message still has to show this notification's step (its reply is posted). */
  thread_update?: "pending";
  /** Attempts at that update. */
  update_attempts?: number;
  /** Why the status message could not be updated; the notification itself is delivered. */
  thread_error?: string;
}

/** A delivered message's place in Slack, and whether its thread's status message is still to be updated. */
export interface SlackRefs {
  slack_ts?: string;
  thread_ts?: string;
  thread_update?: "pending";
}

/** An upgrade's thread in one channel (contract section 5): where its status message is and what it shows. */
export interface ThreadRecord {
  workspace_id: string;
  channel: string;
  key: string;
  /** The channel id Slack returned (chat.update needs it, not the name). */
  channel_id: string;
  /** The status message's ts: the thread's parent. */
  ts: string;
  /** The upgrade so far, every applied step included. */
  state: ThreadState;
  /** Steps applied to `state`; the status message shows `shown_seq` of them. */
  seq: number;
  shown_seq: number;
  /** The notification whose step was applied last (applying is idempotent per notification). */
  last_applied: string;
  /** The notification that posted this status message. */
  opened_by: string;
  /** Slack said the status message is gone or not editable: the next step posts a new one. */
  gone?: true;
  /**
   * The dispatch (a notification's delivery, each retry a new one) whose refused reply (thread gone) started this
   * thread again: it may do so once, so a thread Slack refuses as soon as it is opened ends that delivery instead of
   * looping, and a retry may start it again.
   */
  reopened_for?: string;
  updated_at: string;
}

export interface EventRecord {
  workspace_id: string;
  event_id: string;
  payload_hash: string;
  event: UpgradeEvent;
  response: AcceptedEventResponse;
  /** The connection its notifications were made for (with the response's ids, enough to rebuild them). */
  connection_id?: string;
  created_at: string;
}

export interface AcceptedEventResponse {
  event_id: string;
  notifications: { id: string; channel: string; status: NotificationStatus }[];
  skipped?: "not_connected" | "disabled" | "filtered";
}

export interface TokenRecord {
  id: string;
  name: string;
  hash: string;
  /** Absent for the admin token. */
  workspace_id?: string;
  admin: boolean;
  scopes: string[];
  created_at: string;
}

export interface WorkspaceRecord {
  workspace_id: string;
  name: string;
  created_at: string;
}

export interface ListQuery {
  status?: NotificationStatus;
  type?: NotificationType;
  limit: number;
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** Storage ports, one per resource; the DynamoDB store implements them all, unit tests fake them. */
export interface WorkspaceStore {
  /** The workspace and its first token, together or not at all. */
  createWorkspace(w: WorkspaceRecord, token: TokenRecord): Promise<void>;
  getWorkspace(id: string): Promise<WorkspaceRecord | undefined>;
}

export interface TokenStore {
  putToken(t: TokenRecord): Promise<void>;
  listTokens(workspaceId: string): Promise<TokenRecord[]>;
  /** False when the workspace has no such token. */
  deleteToken(workspaceId: string, tokenId: string): Promise<boolean>;
}

export interface IntegrationStore {
  getIntegration(workspaceId: string): Promise<IntegrationRecord | undefined>;
  putIntegration(r: IntegrationRecord): Promise<void>;
  /** Erases the integration, credential included; false when there was none. */
  deleteIntegration(workspaceId: string): Promise<boolean>;
}

export interface EventStore {
  /** The outbox's commit point: the event and its notifications, or the record already stored under its event_id. */
  acceptEvent(
    event: EventRecord,
    notifications: NotificationRecord[],
  ): Promise<{ stored: true } | { stored: false; existing: EventRecord }>;
  getEvent(workspaceId: string, eventId: string): Promise<EventRecord | undefined>;
}

export interface NotificationStore {
  getNotification(workspaceId: string, id: string): Promise<NotificationRecord | undefined>;
  /**
   * New pending notifications of no event (the test message's), in one write when there are several, as an event's
   * are: the pipe queues them like any other.
   */
  acceptNotifications(notifications: NotificationRecord[]): Promise<void>;
  /** Several notifications of one workspace, strongly consistent, by id (absent ids are left out). */
  getNotifications(workspaceId: string, ids: string[]): Promise<Map<string, NotificationRecord>>;
  listNotifications(workspaceId: string, q: ListQuery): Promise<Page<NotificationRecord>>;
  /**
   * failed → pending with a fresh attempt budget; undefined when it was not failed. `api` (the retry route): the pipe
   * queues it again; `redrive` (the operator CLI): the dead-lettered message itself is moved back instead. With
   * `connectionId`, the notification is bound to that connection (the retry route: the one connected now).
   */
  requeue(
    workspaceId: string,
    id: string,
    by?: "api" | "redrive",
    connectionId?: string,
  ): Promise<NotificationRecord | undefined>;
}

/** A queued notification: the queue message's references (event_id and channel absent in older messages). */
export interface DeliveryRef {
  workspace_id: string;
  notification_id: string;
  event_id?: string;
  channel?: string;
}

/** What one delivery reads before posting; each part absent when its record is. */
export interface DeliveryInputs {
  notification?: NotificationRecord;
  integration?: IntegrationRecord;
  event?: EventRecord;
  /** The channel's last post (ms since the epoch). */
  lastPostAt?: number;
}

/** What the delivery path needs from storage. */
export interface DeliveryStore {
  /** Everything a delivery reads, in as few requests as the store allows. */
  loadDelivery(ref: DeliveryRef): Promise<DeliveryInputs>;
  /** Undefined too for an item whose stored workspace_id is not the one it was looked up under. */
  getIntegration(workspaceId: string): Promise<IntegrationRecord | undefined>;
  /** Counts an attempt before it is made, so a crash still counts it; undefined when not pending or out of attempts. */
  startAttempt(workspaceId: string, id: string, maxAttempts: number): Promise<NotificationRecord | undefined>;
  /** pending → delivered/failed once (the attempt's outcome recorded with it); false when it was not pending. */
  finish(
    workspaceId: string,
    id: string,
    outcome: ({ status: "delivered" } & SlackRefs) | { status: "failed"; error: string },
  ): Promise<boolean>;
  /** Attempt number `attempt` failed and that is recorded (before anything else is written). */
  recordOutcome(workspaceId: string, id: string, attempt: number): Promise<void>;
  markUncertain(workspaceId: string, id: string): Promise<void>;
  /** No attempt before `at` (ISO): see NotificationRecord.retry_at. */
  deferRetry(workspaceId: string, id: string, at: string): Promise<void>;
  /** The channel's last post (its pace); with `outcome` when the post finished its notification (channel health). */
  recordPost(workspaceId: string, channel: string, at: number, outcome?: ChannelOutcome): Promise<void>;
  /** A notification of the channel finished without a post of its own (failures: not_connected, exhausted, …). */
  recordHealth(workspaceId: string, channel: string, outcome: ChannelOutcome): Promise<void>;
  getThread(workspaceId: string, channel: string, key: string): Promise<ThreadRecord | undefined>;
  /**
   * Stores a status message just posted: a new thread (none may exist) or a restart (replacing the one whose ts was
   * `replacing`). With `resetAttemptsOf`, that notification's attempt count starts again for its reply, in the same
   * write. False when another writer got there first.
   */
  openThread(thread: ThreadRecord, opts: { replacing?: string; resetAttemptsOf?: string }): Promise<boolean>;
  /** The thread's state with one more notification's step applied (only if the thread is still `ts`). */
  applyToThread(thread: ThreadRecord, state: ThreadState, notificationId: string): Promise<void>;
  /** The status message now shows `seq` steps. */
  markShown(thread: ThreadRecord, seq: number): Promise<void>;
  /** Counts an attempt at the status message update; undefined when none is due or none is left. */
  startUpdate(workspaceId: string, id: string, maxAttempts: number): Promise<number | undefined>;
  /** The update is done, or failed for good with `error` (the notification's thread_error). */
  finishUpdate(workspaceId: string, id: string, error?: string): Promise<void>;
}

/** How a channel's latest notification finished: the channel's health follows it (contract section 2). */
export type ChannelOutcome = { at: string; connection_id: string } & (
  { status: "delivered" } | { status: "failed"; error: string }
);

/** A channel's health as stored beside its pace: the latest outcome, and the last delivery and error before it. */
export interface ChannelHealthRecord {
  connection_id: string;
  status: "delivered" | "failed";
  last_delivered_at?: string;
  last_error?: string;
  last_error_at?: string;
  /** The connection each of the two was recorded under (absent on records written before they were kept). */
  last_delivered_connection_id?: string;
  last_error_connection_id?: string;
}

export interface ChannelHealthStore {
  recordHealth(workspaceId: string, channel: string, outcome: ChannelOutcome): Promise<void>;
  /** The channels' health records, in one read; a channel without one is absent from the map. */
  getChannelHealth(workspaceId: string, channels: string[]): Promise<Map<string, ChannelHealthRecord>>;
}

/** Who a Slack token is, from auth.test. */
export interface SlackIdentity {
  team: string;
  team_id: string;
  user: string;
  user_id: string;
  url: string;
}

/** What Slack's auth.test said about a token; the core decides what that means for a connect. */
export type AuthTestResult =
  /** `scopes`: the x-oauth-scopes header, absent when Slack did not send it. */
  | { status: "ok"; identity: SlackIdentity; scopes?: string[] }
  /** ok:false: Slack's error code (invalid_auth, token_revoked, …). */
  | { status: "rejected"; error: string }
  /** No usable answer: unreachable, timeout, 5xx, 429. `reason` is ours (timeout, network_error, http_503, …). */
  | { status: "unavailable"; reason: string };

/** The preflight: asks Slack who a token is. Never throws for Slack's answers, and never puts the token in an error. */
export interface SlackAuth {
  identify(token: string): Promise<AuthTestResult>;
}

export interface SlackTarget {
  method: Method;
  /** The bot/user token or the webhook URL. */
  secret: string;
  channel: string;
}

export interface PostOptions {
  /** Overrides the sender's own timeout for this post (the synchronous test message needs less). */
  timeoutMs?: number;
  /** Posts a reply in this message's thread. */
  threadTs?: string;
  /** A reply also shown in the channel. */
  broadcast?: boolean;
}

/** Where Slack put a message: the channel's id and the message's ts (tokens only; a webhook says neither). */
export interface Posted {
  channel_id?: string;
  ts?: string;
}

/** Talks to Slack; throws DeliveryError with a code and whether it is worth retrying. */
export interface SlackSender {
  post(target: SlackTarget, message: SlackMessage, opts?: PostOptions): Promise<Posted>;
  /** chat.update of a message this app posted, by channel id and ts (tokens only). */
  update(target: { secret: string; channelId: string; ts: string }, message: SlackMessage): Promise<void>;
}

export type { ChannelConfig, Condition };
