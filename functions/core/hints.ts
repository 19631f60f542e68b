/**
 * One sentence saying what to do about an error code, for people reading a test result, a failed notification or a
 * failing channel (contract section 2). Codes are Slack's own (Web API and webhooks) or ours (retry-policy, delivery).
 */

const RECONNECT = "Reconnect Slack with a new token (PUT …/integrations/slack)";
const SLACK_TROUBLE = "Slack had trouble answering: check status.slack.com, then retry the notification.";
const RATE_LIMITED = "Slack rate-limited the app: send fewer events to this channel or spread them over more channels.";

/** Slack's answers about an upgrade's status message or thread (contract section 5). */
const THREAD_HINTS: Record<string, string> = {
  message_not_found: "The upgrade's status message was deleted in Slack; the next event starts a new thread.",
  cant_update_message:
    "The upgrade's status message cannot be edited by this token; the next event starts a new thread.",
  edit_window_closed: "The upgrade's status message is too old to edit; the next event starts a new thread.",
  thread_not_found: "The upgrade's thread was deleted in Slack; the next event starts a new thread.",
  invalid_thread_ts: "The upgrade's thread was deleted in Slack; the next event starts a new thread.",
};

const HINTS: Record<string, string> = {
  // The channel
  channel_not_found:
    "Check the channel name or ID; a private channel is only found once the app is invited to it (`/invite @app`).",
  is_archived: "The channel is archived: unarchive it in Slack or pick another channel.",
  channel_is_archived: "The webhook's channel is archived: unarchive it or create a webhook for another channel.",
  // The credential
  invalid_auth: `Slack does not accept this token: ${RECONNECT}.`,
  not_authed: `No token reached Slack: ${RECONNECT}.`,
  token_revoked: `The token was revoked (the app was removed or its token rotated): ${RECONNECT}.`,
  token_expired: `The token has expired: ${RECONNECT}, or turn off token rotation for the app.`,
  account_inactive: `The token's user or bot was deactivated: reinstall the app and ${RECONNECT.toLowerCase()}.`,
  missing_scope: "Add the chat:write scope to the app, reinstall it to the workspace and reconnect with the new token.",
  no_permission: `The token may not post here: check the app's scopes and workspace permissions, then ${RECONNECT.toLowerCase()}.`,
  credential_unreadable: `The stored credential can no longer be opened: ${RECONNECT}.`,
  org_login_required: "The workspace is migrating to Enterprise Grid: try again later.",
  team_added_to_org: "The workspace is migrating to Enterprise Grid: try again later.",
  // Pacing and Slack trouble
  rate_limited: RATE_LIMITED,
  ratelimited: RATE_LIMITED,
  message_limit_exceeded: "The Slack workspace as a whole is sending too many messages: retry in a few minutes.",
  attempts_exhausted: "Slack failed three times in a row: check status.slack.com, then retry the notification.",
  internal_error: SLACK_TROUBLE,
  fatal_error: SLACK_TROUBLE,
  service_unavailable: SLACK_TROUBLE,
  request_timeout: SLACK_TROUBLE,
  invalid_response: "Slack's answer could not be read: retry the notification, and report it if it happens again.",
  network_error: "Slack could not be reached: check status.slack.com and the network, then retry the notification.",
  timeout: "Slack did not answer in time: check status.slack.com, then retry the notification.",
  // Our own reasons
  not_connected: "Slack was disconnected (or reconnected) before this was sent: connect Slack, then retry it.",
  disabled: 'Receive notifications is off: turn it on (PUT …/integrations/slack {"enabled": true}) and retry.',
  event_not_found: "The event this notification was for has expired; send the event again.",
  // Our payload (a bug on our side)
  msg_too_long: "The message was too long for Slack: this is a bug in the notifier, please report it.",
  msg_blocks_too_long: "The message's blocks were too long for Slack: this is a bug in the notifier, please report it.",
  invalid_blocks: "Slack refused the message's blocks: this is a bug in the notifier, please report it.",
  too_many_attachments: "Slack refused the message's attachments: this is a bug in the notifier, please report it.",
  no_text: "Slack found no text in the message: this is a bug in the notifier, please report it.",
  invalid_payload: "The webhook refused the message as malformed: this is a bug in the notifier, please report it.",
  // Webhooks
  no_service: "The webhook was removed or disabled in Slack: create a new incoming webhook and reconnect with it.",
  action_prohibited:
    "A workspace admin restricted this webhook's channel: ask them, or use a webhook for another channel.",
  http_403: "Slack refused the post (HTTP 403): check the app's permissions and the workspace's policies, then retry.",
  http_404: "The webhook URL no longer exists: create a new incoming webhook and reconnect with it.",
  http_410: "The webhook's channel is gone or archived: create a webhook for another channel and reconnect with it.",
  ...THREAD_HINTS,
};

/** The hint of a notification out of attempts because one was cut off before its outcome was recorded (section 4). */
export const UNCERTAIN_HINT =
  "Slack may have taken an earlier attempt (it did not answer in time, or the service stopped before recording its answer), so the message may be in the channel already: look there before you retry.";

/**
 * What to do about the thread_error of a delivered notification. The message was posted and there is nothing to retry:
 * Slack's answers about the thread say what the next event does, and any other failure (Slack's trouble, the network)
 * is mended by the upgrade's next event too.
 */
export const threadErrorHint = (code: string): string =>
  THREAD_HINTS[code] ??
  "The message was posted; only the upgrade's status message was not updated, and the upgrade's next event updates it.";

/**
 * What to do about `code`, or undefined for a code nobody can act on. `user` is the Slack identity's user name (from
 * the preflight), so the invitation can be copied as is.
 */
export function hintFor(code: string, opts: { user?: string | null } = {}): string | undefined {
  if (code === "not_in_channel") {
    const who = opts.user ? `@${opts.user}` : "@<the app's name>";
    return `Invite the app to the channel: \`/invite ${who}\`.`;
  }
  if (code.startsWith("restricted_action")) {
    return "A workspace policy forbids posting here (a read-only, announcement-only or thread-only channel): ask a workspace admin, or pick another channel.";
  }
  const known = HINTS[code];
  if (known) return known;
  if (/^http_5\d\d$/.test(code)) return SLACK_TROUBLE;
  return undefined;
}
