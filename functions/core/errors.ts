import { API } from "./operational";

/**
 * Every machine code the service answers with. The core and the adapters throw these; the HTTP edge
 * (functions/api/error-status.ts) is the one place that turns a code into a status.
 */
export const ERROR_CODES = [
  "invalid_json",
  "validation_error",
  "invalid_credentials",
  "invalid_bot_token",
  "invalid_user_token",
  "invalid_webhook_url",
  "invalid_channel",
  "too_many_channels",
  "invalid_cursor",
  "credential_rejected",
  "missing_scope",
  "unauthorized",
  "forbidden",
  "not_found",
  "not_connected",
  "method_not_allowed",
  "event_id_conflict",
  "invalid_state",
  "payload_too_large",
  "unsupported_media_type",
  "internal_error",
  "slack_unavailable",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorDetail {
  path: string;
  message: string;
}

/** A failure the caller can act on: a typed code and a sentence for humans; validation failures add details. */
export class DomainError extends Error {
  override readonly name = "DomainError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
  ) {
    super(message);
  }
}

export const invalid = (code: ErrorCode, message: string, details?: ErrorDetail[]) =>
  new DomainError(code, message, details);

/** The contract's 413: from the API function, and from the local server where it plays API Gateway's own limit. */
export const bodyTooLarge = () =>
  new DomainError("payload_too_large", `The body is larger than ${API.maxBodyBytes} bytes.`);
export const notFound = (message = "Not found.") => new DomainError("not_found", message);

/**
 * A failed attempt to post to Slack. `code` is what the notification log shows; it never carries the credential
 * (webhook URLs are secrets too, so no URL ever goes into a message).
 */
export class DeliveryError extends Error {
  override readonly name = "DeliveryError";
  constructor(
    readonly code: string,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(`Slack delivery failed: ${code}`);
  }
}

/**
 * The stored credential cannot be opened: tampered, corrupt, or sealed for another workspace, method or connection.
 * Permanent (the notification fails as credential_unreadable; reconnecting fixes it), unlike a KMS outage.
 */
export class CredentialUnreadableError extends Error {
  override readonly name: string = "CredentialUnreadableError";
}
