import { describe, expect, it } from "vitest";
import { eventSchema, matchLabels, severityOf } from "../../functions/core/events";
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

  it("accepts RFC 3339 with offsets and rejects other dates", () => {
    expect(eventSchema.safeParse({ ...startedEvent(), occurred_at: "2026-11-20T10:00:00+02:00" }).success).toBe(true);
    expect(eventSchema.safeParse({ ...startedEvent(), occurred_at: "2026-11-20" }).success).toBe(false);
  });

  it("built-in labels override event labels of the same name", () => {
    const e = eventSchema.parse({
      ...scanEvent({ labels: { severity: "low", type: "x", cluster: "y", env: "prod" } }),
    });
    expect(matchLabels(e)).toEqual({ severity: "critical", type: "scan_completed", cluster: "prod-eu-1", env: "prod" });
  });
});
