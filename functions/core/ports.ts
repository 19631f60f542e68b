import type { SlackMessage } from "./block-kit";
import type { Condition } from "./conditions";
import type { EventType, UpgradeEvent } from "./events";
import type { ChannelConfig, IntegrationSettings, Method } from "./integration";

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
  attempts: number;
  error?: string;
  created_at: string;
  updated_at: string;
  delivered_at?: string;
  connection_id: string;
  /** The queue's deduplication id; a manual retry sets a new one so deduplication does not swallow it. */
  dispatch_id: string;
}

export interface EventRecord {
  workspace_id: string;
  event_id: string;
  payload_hash: string;
  event: UpgradeEvent;
  response: AcceptedEventResponse;
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

/** What the delivery path needs from storage; the DynamoDB store implements it, unit tests fake it. */
export interface DeliveryStore {
  getNotification(workspaceId: string, id: string): Promise<NotificationRecord | undefined>;
  getEvent(workspaceId: string, eventId: string): Promise<EventRecord | undefined>;
  /** Undefined too for an item whose stored workspace_id is not the one it was looked up under. */
  getIntegration(workspaceId: string): Promise<IntegrationRecord | undefined>;
  /** Counts an attempt before it is made, so a crash still counts it; undefined when not pending or out of attempts. */
  startAttempt(workspaceId: string, id: string, maxAttempts: number): Promise<NotificationRecord | undefined>;
  finish(
    workspaceId: string,
    id: string,
    outcome: { status: "delivered" } | { status: "failed"; error: string },
  ): Promise<boolean>;
  lastPostAt(workspaceId: string, channel: string): Promise<number | undefined>;
  recordPost(workspaceId: string, channel: string, at: number): Promise<void>;
}

export interface SlackTarget {
  method: Method;
  /** The bot/user token or the webhook URL. */
  secret: string;
  channel: string;
}

/** Posts one message; throws DeliveryError with a code and whether it is worth retrying. */
export interface SlackSender {
  post(target: SlackTarget, message: SlackMessage): Promise<void>;
}

export type { ChannelConfig, Condition };
