import * as z from "zod";
import { conditionSchema } from "../core/conditions";
import { ERROR_CODES } from "../core/errors";
import { EVENT_TYPES } from "../core/events";
import { channelHealth } from "../core/health";
import { hintFor, threadErrorHint, UNCERTAIN_HINT } from "../core/hints";
import { type Principal, SCOPES } from "../core/identity";
import { SEVERITIES } from "../core/severity";
import type { ChannelHealthRecord, IntegrationRecord, NotificationRecord, TokenRecord } from "../core/ports";

/**
 * What the API answers: each view as a function of the stored record, and its schema for the OpenAPI document. The
 * views are the only way records leave the service, so no credential (nor its ciphertext) is ever in one.
 */

const timestamp = z.string().meta({ description: "RFC 3339 timestamp" });
const status = z.enum(["pending", "delivered", "failed"]);
const hint = z.string().meta({ description: "One sentence saying what to do about the error" });

const slackIdentitySchema = z
  .object({ team: z.string(), team_id: z.string(), user: z.string(), user_id: z.string(), url: z.string() })
  .meta({ id: "SlackIdentity", description: "Who the token is, from Slack's auth.test at connect" });

const channelHealthSchema = z
  .object({
    status: z.enum(["ok", "failing", "unknown"]).meta({
      description: "After the channel's latest finished notification: ok (delivered), failing, unknown (none yet)",
    }),
    last_delivered_at: timestamp.nullable(),
    last_error: z.string().nullable().meta({ description: "Slack's error code, or ours, of the last failure" }),
    last_error_at: timestamp.nullable(),
    hint: hint.nullable().meta({ description: "What to do, while the channel is failing" }),
  })
  .meta({ id: "ChannelHealth" });

export const errorSchema = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES),
      message: z.string(),
      details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .meta({ id: "Error" });

export const integrationViewSchema = z
  .object({
    workspace_id: z.string(),
    connected: z.literal(true),
    method: z.enum(["bot_token", "user_token", "webhook"]),
    credential_hint: z.string().meta({ description: "The credential's last four characters" }),
    slack: slackIdentitySchema.nullable().meta({ description: "null for webhooks (they are not preflighted)" }),
    channels: z.array(
      z.object({
        name: z.string(),
        conditions: z.array(conditionSchema),
        mentions: z.array(z.string()),
        mention_on: z.array(z.enum(SEVERITIES)),
        health: channelHealthSchema,
      }),
    ),
    threads: z.boolean().meta({ description: "One Slack thread per upgrade; always false for webhooks" }),
    enabled: z.boolean(),
    conditions: z.array(conditionSchema),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: "Integration" });

/** `health`: the channels' health records (ChannelHealthStore.getChannelHealth). */
export const integrationView = (
  r: IntegrationRecord,
  health: ReadonlyMap<string, ChannelHealthRecord> = new Map(),
): z.infer<typeof integrationViewSchema> => ({
  workspace_id: r.workspace_id,
  connected: true,
  method: r.method,
  credential_hint: r.credential_hint,
  slack: r.slack
    ? { team: r.slack.team, team_id: r.slack.team_id, user: r.slack.user, user_id: r.slack.user_id, url: r.slack.url }
    : null,
  channels: r.channels.map((c) => ({
    name: c.name,
    conditions: c.conditions,
    mentions: c.mentions,
    mention_on: c.mention_on,
    health: channelHealth(health.get(c.name), r),
  })),
  threads: r.threads,
  enabled: r.enabled,
  conditions: r.conditions,
  created_at: r.created_at,
  updated_at: r.updated_at,
});

export const notificationViewSchema = z
  .object({
    id: z.string(),
    event_id: z.string(),
    type: z.enum([...EVENT_TYPES, "test"]),
    channel: z.string(),
    status,
    attempts: z.number().int(),
    uncertain: z
      .literal(true)
      .optional()
      .meta({ description: "An earlier attempt's outcome was never recorded: Slack may have this message already" }),
    error: z.string().optional().meta({ description: "Slack's error code, or ours (rate_limited, not_connected, …)" }),
    hint: hint
      .optional()
      .meta({ description: "What to do about the error of a failed notification, or about a thread_error" }),
    created_at: timestamp,
    updated_at: timestamp,
    delivered_at: timestamp.optional(),
    slack_ts: z.string().optional().meta({ description: "The message's ts in Slack (tokens only)" }),
    thread_ts: z.string().optional().meta({ description: "The ts of its upgrade thread's status message" }),
    thread_error: z
      .string()
      .optional()
      .meta({ description: "Why the thread's status message could not be updated; the notification is delivered" }),
  })
  .meta({ id: "Notification" });

/** A failed notification's error, or else the thread_error of a delivered one (its status message was not updated). */
export const problemOf = (n: NotificationRecord) => (n.status === "failed" ? n.error : n.thread_error);

/** What to do about problemOf: a delivered notification has nothing to retry, so its thread_error's hint says so. */
const hintOf = (n: NotificationRecord, user?: string | null) => {
  const problem = problemOf(n);
  if (!problem) return undefined;
  if (n.status !== "failed") return threadErrorHint(problem);
  // Out of attempts only because one was cut off (a crash): what to do is look in the channel, not blame Slack.
  if (n.uncertain && problem === "attempts_exhausted") return UNCERTAIN_HINT;
  return hintFor(problem, { user });
};

/** `appUser`: the Slack user the app posts as, which the not_in_channel hint names (`/invite @user`). */
export function notificationView(
  n: NotificationRecord,
  appUser?: string | null,
): z.infer<typeof notificationViewSchema> {
  const hint = hintOf(n, appUser);
  return {
    id: n.id,
    event_id: n.event_id,
    type: n.type,
    channel: n.channel,
    status: n.status,
    attempts: n.attempts,
    ...(n.uncertain ? { uncertain: true as const } : {}),
    ...(n.error ? { error: n.error } : {}),
    ...(hint ? { hint } : {}),
    created_at: n.created_at,
    updated_at: n.updated_at,
    ...(n.delivered_at ? { delivered_at: n.delivered_at } : {}),
    ...(n.slack_ts ? { slack_ts: n.slack_ts } : {}),
    ...(n.thread_ts ? { thread_ts: n.thread_ts } : {}),
    ...(n.thread_error ? { thread_error: n.thread_error } : {}),
  };
}

export const notificationPageSchema = z
  .object({ items: z.array(notificationViewSchema), next_cursor: z.string().nullable() })
  .meta({ id: "NotificationPage" });

export const tokenViewSchema = z
  .object({ id: z.string(), name: z.string(), scopes: z.array(z.enum(SCOPES)), created_at: timestamp })
  .meta({ id: "Token" });
export const tokenView = (t: TokenRecord) => ({ id: t.id, name: t.name, scopes: t.scopes, created_at: t.created_at });

export const tokenCreatedSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    scopes: z.array(z.enum(SCOPES)),
    token: z.string().meta({ description: "The bearer token; shown only in this response" }),
  })
  .meta({ id: "TokenCreated" });

export const workspaceCreatedSchema = z
  .object({
    workspace_id: z.string(),
    name: z.string(),
    token: z.string().meta({ description: "A token with every workspace scope; shown only in this response" }),
  })
  .meta({ id: "WorkspaceCreated" });

export const acceptedEventSchema = z
  .object({
    event_id: z.string(),
    notifications: z.array(z.object({ id: z.string(), channel: z.string(), status })),
    skipped: z.enum(["not_connected", "disabled", "filtered"]).optional(),
  })
  .meta({ id: "AcceptedEvent" });

export const previewSchema = z
  .object({
    messages: z.array(
      z.object({
        channel: z.string(),
        payload: z.record(z.string(), z.unknown()).meta({ description: "What Slack receives" }),
      }),
    ),
    skipped: z.enum(["not_connected", "disabled", "filtered"]).optional(),
  })
  .meta({ id: "Preview" });

export const testResultsSchema = z
  .object({
    results: z.array(
      z.object({
        channel: z.string(),
        status: z.enum(["delivered", "failed", "pending"]).meta({
          description:
            "pending: still queued behind the channel's earlier posts (or retrying) when the API answered; its outcome will be in the notification log",
        }),
        error: z.string().optional(),
        hint: hint
          .optional()
          .meta({ description: "What to do about the error, on a failed result; where to look, on a pending one" }),
        notification_id: z.string(),
      }),
    ),
  })
  .meta({ id: "TestResults" });

export const tokenListSchema = z.object({ items: z.array(tokenViewSchema) }).meta({ id: "TokenList" });
export const healthSchema = z.object({ status: z.literal("ok") });

export const meSchema = z
  .object({
    admin: z.boolean(),
    workspace_id: z.string().nullable().meta({ description: "null for the admin token" }),
    token_id: z.string(),
    scopes: z.array(z.enum(SCOPES)).meta({ description: "Empty for the admin token, which has its own routes" }),
  })
  .meta({ id: "Me" });
export const meView = (p: Exclude<Principal, { kind: "anonymous" }>): z.infer<typeof meSchema> =>
  p.kind === "admin"
    ? { admin: true, workspace_id: null, token_id: p.tokenId, scopes: [] }
    : { admin: false, workspace_id: p.workspaceId, token_id: p.tokenId, scopes: p.scopes };
