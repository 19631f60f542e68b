import type { ErrorCode } from "../core/errors";

/** The one table from the core's error codes to HTTP statuses. */
export const STATUS_OF: Record<ErrorCode, number> = {
  invalid_json: 400,
  validation_error: 400,
  invalid_credentials: 400,
  invalid_bot_token: 400,
  invalid_user_token: 400,
  invalid_webhook_url: 400,
  invalid_channel: 400,
  too_many_channels: 400,
  invalid_cursor: 400,
  // The preflight (auth.test) refused the credential, or it lacks chat:write: nothing was stored.
  credential_rejected: 400,
  missing_scope: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  // The test route needs a connection to act on; the GET route answers a missing one with 404 itself.
  not_connected: 409,
  method_not_allowed: 405,
  event_id_conflict: 409,
  invalid_state: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  internal_error: 500,
  // Slack itself could not answer the preflight (unreachable, timeout, 5xx, 429): not the caller's mistake, nor ours.
  slack_unavailable: 502,
};
