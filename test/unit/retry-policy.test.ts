import { describe, expect, it } from "vitest";
import { DeliveryError } from "../../functions/core/errors";
import { MAX_RETRY_AFTER_MS } from "../../functions/core/operational";
import { classifyHttp, classifyNetwork, parseRetryAfter, retryDelayMs } from "../../functions/core/retry-policy";

describe("classifying Slack's answers", () => {
  it("success is no error", () => {
    expect(classifyHttp(200, undefined)).toBeUndefined();
  });

  it("429, 502, 503, 504 and ratelimited are retryable", () => {
    expect(classifyHttp(429, undefined, "7")).toMatchObject({
      code: "rate_limited",
      retryable: true,
      retryAfterMs: 7000,
    });
    for (const s of [502, 503, 504])
      expect(classifyHttp(s, undefined)).toMatchObject({ code: `http_${s}`, retryable: true });
    expect(classifyHttp(200, "ratelimited")).toMatchObject({ code: "ratelimited", retryable: true });
    expect(classifyNetwork(false)).toMatchObject({ code: "network_error", retryable: true });
    expect(classifyNetwork(true)).toMatchObject({ code: "timeout", retryable: true });
  });

  it("message_limit_exceeded is retried after at least 60 s, or a longer Retry-After", () => {
    const e = classifyHttp(200, "message_limit_exceeded");
    expect(e).toMatchObject({ code: "message_limit_exceeded", retryable: true, retryAfterMs: 60_000 });
    expect(retryDelayMs(1, e as DeliveryError)).toBe(60_000);
    expect(retryDelayMs(3, e as DeliveryError)).toBeUndefined();
    expect(classifyHttp(200, "message_limit_exceeded", "120")).toMatchObject({ retryAfterMs: 120_000 });
    expect(classifyHttp(200, "message_limit_exceeded", "5")).toMatchObject({ retryAfterMs: 60_000 });
  });

  it("Slack error codes and other statuses fail at once", () => {
    for (const code of [
      "invalid_auth",
      "channel_not_found",
      "not_in_channel",
      "token_revoked",
      "internal_error",
      "service_unavailable",
    ]) {
      expect(classifyHttp(200, code)).toMatchObject({ code, retryable: false });
    }
    expect(classifyHttp(404, "no_service")).toMatchObject({ code: "no_service", retryable: false });
    expect(classifyHttp(500, undefined)).toMatchObject({ code: "http_500", retryable: false });
    expect(classifyHttp(403, "<html>nope</html>")).toMatchObject({ code: "http_403", retryable: false });
  });
});

describe("waiting", () => {
  it("1 s after the first attempt, 2 s after the second, none after the third", () => {
    const e = new DeliveryError("http_503", true);
    expect(retryDelayMs(1, e)).toBe(1000);
    expect(retryDelayMs(2, e)).toBe(2000);
    expect(retryDelayMs(3, e)).toBeUndefined();
    expect(retryDelayMs(1, new DeliveryError("invalid_auth", false))).toBeUndefined();
  });

  it("Retry-After wins over the backoff", () => {
    expect(retryDelayMs(1, new DeliveryError("rate_limited", true, 30_000))).toBe(30_000);
  });

  it("parses Retry-After as seconds or a date, capped", () => {
    expect(parseRetryAfter("3")).toBe(3000);
    expect(parseRetryAfter(new Date(Date.now() + 5000).toUTCString())).toBeGreaterThan(3000);
    expect(parseRetryAfter("99999999")).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});
