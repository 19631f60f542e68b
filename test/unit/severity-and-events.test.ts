import { describe, expect, it } from "vitest";
import { eventSchema, matchLabels } from "../../functions/core/events";
import { severityOf } from "../../functions/core/severity";
import { riskLevel } from "../../functions/core/severity";
import { completedEvent, failedEvent, scanEvent, scheduledEvent, startedEvent } from "../fixtures/events";

describe("risk to severity", () => {
  it.each([
    [100, "critical"],
    [80, "critical"],
    [79.9, "high"],
    [60, "high"],
    [59, "medium"],
    [30, "medium"],
    [29.5, "low"],
    [0, "low"],
  ])("%s is %s", (score, level) => {
    expect(riskLevel(score)).toBe(level);
  });

  it("execution_failed is critical, started and completed are info", () => {
    const parse = (e: unknown) => eventSchema.parse(e);
    expect(severityOf(parse(failedEvent()))).toBe("critical");
    expect(severityOf(parse(startedEvent()))).toBe("info");
    expect(severityOf(parse(completedEvent()))).toBe("info");
    expect(severityOf(parse(scheduledEvent(61)))).toBe("high");
  });
});

describe("event schema", () => {
  it("accepts every sample type", () => {
    for (const e of [scanEvent(), scheduledEvent(), startedEvent(), completedEvent(), failedEvent()]) {
      expect(eventSchema.safeParse(e).success).toBe(true);
    }
  });

  it("takes only scores and durations DynamoDB can keep for the thread, so an accepted event can be delivered", () => {
    const completed = (data: Record<string, unknown>) => {
      const e = completedEvent();
      return { ...e, data: { ...e.data, ...data } };
    };
    for (const bad of [1e-200, 1e-7, -1, 101, Number.NaN])
      expect(eventSchema.safeParse(scanEvent({}, { risk_score: bad })).success, String(bad)).toBe(false);
    for (const bad of [1e16, 1e308, 1e-200, 366 * 24 * 3600 + 1])
      expect(eventSchema.safeParse(completed({ duration_seconds: bad })).success, String(bad)).toBe(false);
    expect(eventSchema.safeParse(completed({ confidence_score: 1e-200 })).success).toBe(false);
    for (const ok of [0, 1e-6, 0.5, 85.25, 100])
      expect(eventSchema.safeParse(scanEvent({}, { risk_score: ok })).success, String(ok)).toBe(true);
    for (const ok of [0, 12.5, 3725, 366 * 24 * 3600])
      expect(eventSchema.safeParse(completed({ duration_seconds: ok })).success, String(ok)).toBe(true);
  });

  it("accepts RFC 3339 with offsets and rejects other dates", () => {
    expect(eventSchema.safeParse({ ...startedEvent(), occurred_at: "2026-11-20T10:00:00+02:00" }).success).toBe(true);
    expect(eventSchema.safeParse({ ...startedEvent(), occurred_at: "2026-11-20" }).success).toBe(false);
  });

  it("tells a text that is no date-time only that, not also that its day does not exist", () => {
    for (const occurred_at of ["2026-11-20T10:00:00", "2026-11-20", "2026-11-20 10:00:00Z", "tomorrow"]) {
      const issues = eventSchema.safeParse({ ...startedEvent(), occurred_at }).error?.issues ?? [];
      expect(
        issues.map((i) => i.message),
        occurred_at,
      ).toEqual(["an RFC 3339 date-time, e.g. 2026-11-20T10:00:00Z"]);
    }
  });

  it("refuses a name that is empty or blank (once), and takes an empty reason or rollback status as none", () => {
    const refused = [
      failedEvent({ execution_id: "\t" }),
      { ...startedEvent(), cluster: { name: "  " } },
      { ...startedEvent(), data: { ...startedEvent().data, target_version: " " } },
    ];
    for (const e of refused) expect(eventSchema.safeParse(e).success, JSON.stringify(e)).toBe(false);
    const empty = eventSchema.safeParse({ ...startedEvent(), cluster: { name: "" } }).error?.issues ?? [];
    expect(empty).toHaveLength(1);
    for (const none of [
      failedEvent({ failure_reason: "", rollback_status: "" }),
      { ...completedEvent(), data: { ...completedEvent().data, rollback_status: "" } },
    ])
      expect(eventSchema.safeParse(none).success, JSON.stringify(none)).toBe(true);
  });

  it("takes RFC 3339's lower-case t and z and its leap second, stored upper-cased; refuses days that do not exist", () => {
    const at = (occurred_at: string) => eventSchema.safeParse({ ...startedEvent(), occurred_at });
    expect(at("2026-11-20t10:00:00.5z").data?.occurred_at).toBe("2026-11-20T10:00:00.5Z");
    expect(at("2016-12-31T23:59:60Z").success).toBe(true);
    // Leap years by RFC 3339's rule (appendix C), years 0 to 99 included: 0000 and 0400 are, 0100 is not.
    for (const leapDay of ["2024-02-29T00:00:00-00:00", "0000-02-29T00:00:00Z", "0400-02-29T00:00:00Z"])
      expect(at(leapDay).success).toBe(true);
    for (const bad of [
      "2026-02-29T00:00:00Z",
      "0100-02-29T00:00:00Z",
      "2026-04-31T00:00:00Z",
      "2026-11-20T24:00:00Z",
      "2026-11-20T10:00:00",
    ])
      expect(at(bad).success).toBe(false);
  });

  it("built-in labels override event labels of the same name", () => {
    const e = eventSchema.parse({
      ...scanEvent({ labels: { severity: "low", type: "x", cluster: "y", env: "prod" } }),
    });
    expect(matchLabels(e)).toEqual({ severity: "critical", type: "scan_completed", cluster: "prod-eu-1", env: "prod" });
  });

  it("dashboard_url: an absolute https: URL, sent normalized", () => {
    const url = (dashboard_url: string) => {
      const r = eventSchema.safeParse({ ...startedEvent(), dashboard_url });
      return r.success ? r.data.dashboard_url : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`)[0];
    };
    expect(url("HTTPS://App.Example.com/a/../b?q=1 2".replace(" ", "%20"))).toBe("https://app.example.com/b?q=1%202");
    expect(url("https://app.example.com")).toBe("https://app.example.com/");
    expect(url("https://app.example.com/é/😀")).toBe("https://app.example.com/%C3%A9/%F0%9F%98%80");
    expect(url("https://xn--bcher-kva.example/@me")).toBe("https://xn--bcher-kva.example/@me");
    for (const bad of [
      "https://user:pass@app.example.com/",
      "https://user@app.example.com/",
      "https://@app.example.com/",
    ])
      expect(url(bad), bad).toBe("dashboard_url: must not contain user info");
    for (const bad of [
      " https://app.example.com/",
      "https://app.example.com/\n",
      "https://app.example.com/a\tb",
      "https://app.example.com/a b",
      "https://app.example.com/\u0000",
      "https://app.example.com/\u0085",
      "https://app.example.com/\u00a0",
      "https://app.example.com/\u2028",
    ])
      expect(url(bad), JSON.stringify(bad)).toBe("dashboard_url: must not contain whitespace or control characters");
    for (const bad of [
      "http://app.example.com/",
      "/relative",
      "https:app.example.com",
      "javascript:alert(1)",
      "https://",
    ])
      expect(url(bad), bad).toBe("dashboard_url: must be an absolute https: URL");
    expect(url(`https://app.example.com/${"é".repeat(600)}`)).toBe(
      "dashboard_url: must be at most 3000 characters once normalized",
    );
  });
});
