import { DeliveryError } from "./errors";
import { BACKOFF_MS, MAX_ATTEMPTS, MAX_RETRY_AFTER_MS, WORKSPACE_LIMIT_WAIT_MS } from "./operational";

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
/**
 * The codes that mean "too much, wait", the only codes contract section 4 retries: a 429 (ours, rate_limited), Slack's
 * body code under either spelling, and the whole workspace over its limit (retried after at least a minute, below).
 * Every other code fails at once, Slack's own trouble codes (internal_error, …) too: the post may have gone through,
 * and the contract retries only the statuses and codes it names. The delivery counts these in its RateLimited metric.
 */
export const RATE_LIMIT_CODES: ReadonlySet<string> = new Set(["rate_limited", "ratelimited", "message_limit_exceeded"]);

/** Parses Retry-After (delta seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(header: string | null | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Math.min(Number(trimmed) * 1000, MAX_RETRY_AFTER_MS);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.min(Math.max(0, at - now), MAX_RETRY_AFTER_MS);
}

const codeFrom = (body: string) => (/^[a-z_]{1,64}$/.test(body.trim()) ? body.trim() : undefined);

/**
 * Classifies one answer from Slack. `slackError` is the Web API's `error` when `ok` was false, or a webhook's plain
 * text body (webhooks answer e.g. `404 channel_not_found`).
 */
export function classifyHttp(
  status: number,
  slackError: string | undefined,
  retryAfter?: string | null,
): DeliveryError | undefined {
  if (status === 200 && slackError === undefined) return undefined;
  const retryAfterMs = parseRetryAfter(retryAfter);
  if (status === 429) return new DeliveryError("rate_limited", true, retryAfterMs);
  if (RETRYABLE_STATUS.has(status)) return new DeliveryError(`http_${status}`, true, retryAfterMs);
  const code = slackError !== undefined ? codeFrom(slackError) : undefined;
  // The whole workspace is over its limit: retried like a rate limit, but never sooner than a minute.
  if (code === "message_limit_exceeded")
    return new DeliveryError(code, true, Math.max(retryAfterMs ?? 0, WORKSPACE_LIMIT_WAIT_MS));
  if (code !== undefined) return new DeliveryError(code, RATE_LIMIT_CODES.has(code), retryAfterMs);
  return new DeliveryError(`http_${status}`, false);
}

/** A request that got no answer: connection refused or reset, DNS, or our own timeout. */
export function classifyNetwork(timedOut: boolean): DeliveryError {
  return new DeliveryError(timedOut ? "timeout" : "network_error", true);
}

/** How long to wait after failed attempt number `attempt` (1-based), or undefined when no attempt is left. */
export function retryDelayMs(attempt: number, error: DeliveryError): number | undefined {
  if (!error.retryable || attempt >= MAX_ATTEMPTS) return undefined;
  return error.retryAfterMs ?? BACKOFF_MS[attempt - 1] ?? BACKOFF_MS[BACKOFF_MS.length - 1];
}
