import { describe, expect, it } from "vitest";
import {
  type Block,
  escapeMrkdwn,
  formatDuration,
  LIMITS,
  renderEvent,
  renderTest,
  truncate,
} from "../../functions/core/block-kit";
import { eventSchema } from "../../functions/core/events";
import { completedEvent, failedEvent, scanEvent } from "../fixtures/events";

const opts = { defaultDashboardUrl: "https://dash.example.com/" };
const render = (e: unknown) => renderEvent(eventSchema.parse(e), opts);

/** Every Slack limit the contract lists, checked over a whole message. */
function expectWithinLimits(blocks: Block[]) {
  expect(blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
  for (const b of blocks) {
    if (b.type === "header") expect(Array.from(b.text.text).length).toBeLessThanOrEqual(LIMITS.header);
    if (b.type === "section") {
      if (b.text) expect(Array.from(b.text.text).length).toBeLessThanOrEqual(LIMITS.sectionText);
      expect((b.fields ?? []).length).toBeLessThanOrEqual(LIMITS.fields);
      for (const f of b.fields ?? []) expect(Array.from(f.text).length).toBeLessThanOrEqual(LIMITS.fieldText);
    }
    if (b.type === "actions") {
      for (const el of b.elements) {
        expect(el.text.text.length).toBeLessThanOrEqual(LIMITS.buttonText);
        expect(el.url.length).toBeLessThanOrEqual(LIMITS.url);
      }
    }
  }
}

describe("Block Kit renderer", () => {
  it("has the contract's shape: header, fields, divider, button, footer", () => {
    const msg = render(scanEvent());
    const blocks = msg.attachments[0].blocks;
    expect(blocks[0]?.type).toBe("header");
    expect(blocks[1]).toMatchObject({ type: "section", fields: expect.any(Array) });
    expect(blocks.slice(-3).map((b) => b.type)).toEqual(["divider", "actions", "context"]);
    expect(blocks.at(-2)).toMatchObject({
      elements: [
        {
          type: "button",
          text: { text: "View in Dashboard" },
          url: "https://app.example.com/clusters/c-123/upgrades/42",
        },
      ],
    });
    expect(msg.text).toBe("Upgrade scan completed on cluster prod-eu-1 (CRITICAL)");
  });

  it("falls back to DASHBOARD_URL without a dashboard_url", () => {
    const { dashboard_url: _, ...event } = scanEvent();
    expect(JSON.stringify(render(event))).toContain("https://dash.example.com/");
  });

  it("long lists stay within 3000 characters and end with …and N more", () => {
    const apis = Array.from({ length: 1000 }, (_, i) => ({
      api: `apps/v1beta${i} Deployment-${"x".repeat(40)}`,
      removed_in: "1.16",
    }));
    const blocks = render(scanEvent({}, { deprecated_apis: apis, addon_conflicts: apis.map((a) => ({ name: a.api })) }))
      .attachments[0].blocks;
    expectWithinLimits(blocks);
    const list = blocks.find((b) => b.type === "section" && b.text?.text.startsWith("*Deprecated APIs*"));
    const text = list?.type === "section" ? (list.text?.text ?? "") : "";
    const shown = text.split("\n").filter((l) => l.startsWith("• ")).length;
    expect(shown).toBeGreaterThan(10);
    expect(text.endsWith(`…and ${1000 - shown} more`)).toBe(true);
  });

  it("cuts oversized text to Slack's limits", () => {
    const huge = "y".repeat(10_000);
    const event = failedEvent({ failure_reason: huge, error_details: huge, rollback_status: "z".repeat(256) });
    (event.cluster as { name: string }).name = "c".repeat(253);
    const msg = render(event);
    expectWithinLimits(msg.attachments[0].blocks);
    expect(msg.text.length).toBeLessThanOrEqual(LIMITS.fallbackText);
  });

  it("escapes event text and never splits an escape", () => {
    expect(escapeMrkdwn("<!here> & <x|y>")).toBe("&lt;!here&gt; &amp; &lt;x|y&gt;");
    expect(truncate("ab&amp;cd", 4)).toBe("ab…");
    expect(truncate("😀😀😀", 2)).toBe("😀…");
    const raw = JSON.stringify(render(failedEvent({ failure_reason: "<!channel>", error_details: "<https://x|y>" })));
    expect(raw).not.toContain("<!channel>");
    expect(raw).not.toContain("<https://x");
  });

  it("execution_failed shows a dash when there are no error details", () => {
    const raw = JSON.stringify(render(failedEvent()));
    expect(raw).toContain("*Error details*\\n-");
  });

  it("shows durations humanely", () => {
    expect(formatDuration(59)).toBe("59s");
    expect(formatDuration(1325)).toBe("22m 5s");
    expect(formatDuration(3600)).toBe("1h");
    expect(formatDuration(3661)).toBe("1h 1m 1s");
    expect(JSON.stringify(render(completedEvent()))).toContain("22m 5s");
  });

  it("the test message is blue and titled", () => {
    const msg = renderTest({ workspaceId: "ws_1", channel: "#a", dashboardUrl: "https://d/", at: "now" });
    expect(msg.attachments[0].color).toBe("#36C5F0");
    expect(msg.attachments[0].blocks[0]).toMatchObject({ type: "header", text: { text: "Medulla test notification" } });
  });
});
