/** A failure the API reports to its caller: an HTTP status, a machine code and a sentence for humans. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: { path: string; message: string }[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const badRequest = (code: string, message: string, details?: { path: string; message: string }[]) =>
  new ApiError(400, code, message, details);
export const notFound = (message = "Not found.") => new ApiError(404, "not_found", message);
export const conflict = (code: string, message: string) => new ApiError(409, code, message);

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
