import { describe, expect, it } from "vitest";
import {
  type Block,
  escapeMrkdwn,
  fitTotal,
  formatDuration,
  LIMITS,
  renderEvent,
  renderTest,
  truncate,
} from "../../functions/core/block-kit";
import { eventSchema } from "../../functions/core/events";
import { completedEvent, failedEvent, scanEvent, scheduledEvent } from "../fixtures/events";

const opts = { defaultDashboardUrl: "https://dash.example.com/" };
const render = (e: unknown) => renderEvent(eventSchema.parse(e), opts);

const LONE_SURROGATE = /\p{Cs}/u;
const textsOf = (b: Block) =>
  b.type === "header"
    ? [b.text]
    : b.type === "section"
      ? [...(b.text ? [b.text] : []), ...(b.fields ?? [])]
      : b.type === "actions"
        ? b.elements.map((el) => el.text)
        : b.type === "context"
          ? b.elements
          : [];

/** Every Slack limit the contract lists, in UTF-16 units, checked over a whole message. */
function expectWithinLimits(blocks: Block[]) {
  expect(blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
  for (const b of blocks) {
    if (b.type === "header") expect(b.text.text.length).toBeLessThanOrEqual(LIMITS.header);
    if (b.type === "section") {
      if (b.text) expect(b.text.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
      expect((b.fields ?? []).length).toBeLessThanOrEqual(LIMITS.fields);
      for (const f of b.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(LIMITS.fieldText);
    }
    if (b.type === "actions") {
      for (const el of b.elements) {
        expect(el.text.text.length).toBeLessThanOrEqual(LIMITS.buttonText);
        expect(el.url.length).toBeLessThanOrEqual(LIMITS.url);
      }
    }
    for (const t of textsOf(b)) expect(LONE_SURROGATE.test(t.text), t.text.slice(-20)).toBe(false);
  }
  const total = blocks.flatMap(textsOf).reduce((n, t) => n + t.text.length, 0);
  expect(total).toBeLessThanOrEqual(LIMITS.blocksTotal);
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
    const raw = JSON.stringify(render(failedEvent({ failure_reason: "<!channel>", error_details: "<https://x|y>" })));
    expect(raw).not.toContain("<!channel>");
    expect(raw).not.toContain("<https://x");
  });

  it("counts UTF-16 units and never cuts a surrogate pair", () => {
    expect(truncate("😀😀😀", 3)).toBe("😀…");
    expect(truncate("😀😀😀", 4)).toBe("😀…");
    expect(truncate("a😀😀", 3)).toBe("a…");
    expect(truncate("😀😀", 4)).toBe("😀😀");
    for (let max = 1; max < 12; max++) {
      const cut = truncate("x😀".repeat(10), max);
      expect(cut.length).toBeLessThanOrEqual(max);
      expect(LONE_SURROGATE.test(cut)).toBe(false);
    }
    // A cut falls before a grapheme, never inside: the accent stays with its letter, the family stays whole.
    expect(truncate(`${"a".repeat(4)}e\u0301bc`, 6)).toBe("aaaa…");
    expect(truncate(`ab👨‍👩‍👧cd`, 8)).toBe("ab…");
    expect(truncate(`ab👨‍👩‍👧cd`, 11)).toBe("ab👨‍👩‍👧…");
    // One grapheme longer than the room (a letter under many marks) is cut between code points, within the room.
    expect(truncate(`a${"\u0301".repeat(20)}`, 5)).toBe(`a${"\u0301".repeat(3)}…`);
    // 126 emoji (252 units) is a valid cluster name: the header still fits 150 units, whole emoji only (a family of
    // four is one grapheme of 11 units).
    for (const name of ["😀".repeat(126), `a${"🚀".repeat(126)}`, "👩‍👩‍👧‍👦".repeat(23)]) {
      const msg = render(scanEvent({ cluster: { name } }));
      const header = msg.attachments[0].blocks[0];
      expect(header?.type === "header" && header.text.text.length).toBeLessThanOrEqual(LIMITS.header);
      expect(header?.type === "header" && header.text.text.length).toBeGreaterThan(LIMITS.header - 12);
      expectWithinLimits(msg.attachments[0].blocks);
    }
  });

  it("every attachment carries the top-level text as its fallback", () => {
    for (const event of [scanEvent(), completedEvent(), failedEvent()]) {
      const msg = render(event);
      expect(msg.attachments[0].fallback).toBe(msg.text);
      expect(msg.text.length).toBeGreaterThan(0);
    }
    const test = renderTest({ workspaceId: "ws_1", channel: "#a", dashboardUrl: "https://d/", at: "now" });
    expect(test.attachments[0].fallback).toBe(test.text);
  });

  it("every mrkdwn text object is verbatim, so Slack links nothing in event text", () => {
    const msg = render(failedEvent({ failure_reason: "see https://x.example #general @here", error_details: "e" }));
    const texts = msg.attachments[0].blocks.flatMap(textsOf);
    expect(texts.filter((t) => t.type === "mrkdwn").length).toBeGreaterThan(5);
    for (const t of texts) if (t.type === "mrkdwn") expect(t).toMatchObject({ verbatim: true });
  });

  it("the worst case of every type stays within 12,000 units in all", () => {
    const amp = (n: number) => "&".repeat(n);
    const cluster = { name: amp(253), id: amp(256), provider: amp(256), region: amp(256) };
    const labels = { env: "prod" };
    const exec = { execution_id: amp(256), current_version: amp(64), target_version: amp(64) };
    for (const event of [
      scanEvent(
        { cluster, labels },
        {
          ...exec,
          deprecated_apis: Array.from({ length: 1000 }, () => ({ api: amp(512), removed_in: amp(256) })),
          addon_conflicts: Array.from({ length: 1000 }, () => ({ name: amp(256), reason: amp(2000) })),
        },
      ),
      {
        ...failedEvent({ ...exec, failure_reason: amp(10_000), rollback_status: amp(256), error_details: amp(10_000) }),
        cluster,
      },
      { ...completedEvent(), cluster, data: { ...completedEvent().data, ...exec, rollback_status: amp(256) } },
    ]) {
      expectWithinLimits(render({ ...event, event_id: "e".repeat(128) }).attachments[0].blocks);
    }
  });

  it("fitTotal cuts the long section texts to one length, keeping short ones whole", () => {
    const field = (text: string) => ({ type: "mrkdwn" as const, text, verbatim: true as const });
    const blocks: Block[] = [
      { type: "header", text: { type: "plain_text", text: "h".repeat(100) } },
      { type: "section", fields: [field("short"), field("a".repeat(2000)), field("b".repeat(2000))] },
      { type: "section", text: field("c".repeat(3000)) },
      { type: "context", elements: [field("f".repeat(50))] },
    ];
    const fitted = fitTotal(blocks, 3000);
    const texts = fitted.flatMap(textsOf).map((t) => t.text);
    expect(texts.reduce((n, t) => n + t.length, 0)).toBeLessThanOrEqual(3000);
    expect(texts[0]).toBe("h".repeat(100));
    expect(texts[1]).toBe("short");
    expect(texts.at(-1)).toBe("f".repeat(50));
    expect(new Set(texts.slice(2, 5).map((t) => t.length)).size).toBe(1);
    expect(texts[2]?.endsWith("…")).toBe(true);
    expect(fitTotal(blocks)).toBe(blocks);
  });

  it("event text cannot draw lines of its own in a field or list, nor close the error details' code block", () => {
    const spoof = "1.29\n\n*Risk score*\n5 / 100 (LOW)";
    const message = render(
      failedEvent({ current_version: spoof, failure_reason: "a\r\nb\u2028c\u0000d", error_details: "x```*bold*```y" }),
    );
    const texts = message.attachments[0].blocks.flatMap(textsOf).map((t) => t.text);
    expect(texts).toContain("*Current version*\n1.29 *Risk score* 5 / 100 (LOW)");
    expect(texts).toContain("*Failure reason*\na b c d");
    const details = texts.find((t) => t.startsWith("*Error details*")) as string;
    expect(details.split("```")).toHaveLength(3);
    expect(details).toContain("x`\u200b`\u200b`*bold*`\u200b`\u200b`y");
    // Multi-line error details keep their lines.
    expect(JSON.stringify(render(failedEvent({ error_details: "one\ntwo" })))).toContain("```one\\ntwo```");
  });

  it("a cut never leaves a code block or a code span open", () => {
    const field = (text: string) => ({ type: "mrkdwn" as const, text, verbatim: true as const });
    const fenced = `*Error details*\n\`\`\`${"e".repeat(2900)}\`\`\``;
    const [section] = fitTotal([{ type: "section", text: field(fenced) }], 1000);
    const cut = (section as { text: { text: string } }).text.text;
    expect(cut.length).toBeLessThanOrEqual(1000);
    expect(cut.endsWith("…```")).toBe(true);
    const apis = Array.from({ length: 2 }, () => ({ api: "&".repeat(200), removed_in: "1.25" }));
    const list = render(scanEvent({}, { deprecated_apis: apis }))
      .attachments[0].blocks.flatMap(textsOf)
      .find((t) => t.text.startsWith("*Deprecated APIs*"));
    for (const line of list?.text.split("\n").slice(1) ?? []) expect(line.split("`").length % 2, line).toBe(1);
  });

  it("execution_failed shows a dash when there are no error details", () => {
    const raw = JSON.stringify(render(failedEvent()));
    expect(raw).toContain("*Error details*\\n-");
  });

  it("shows an empty or blank failure reason and rollback status as a dash (none)", () => {
    const raw = JSON.stringify(render(failedEvent({ failure_reason: "", rollback_status: "  " })));
    expect(raw).toContain("*Failure reason*\\n-");
    expect(raw).toContain("*Rollback status*\\n-");
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

  it("takes list entries and a maintenance window without their optional fields, showing ? for what is missing", () => {
    const texts = (e: unknown) => JSON.stringify(render(e).attachments[0].blocks);
    const scheduled = scheduledEvent();
    expect(texts({ ...scheduled, data: { ...scheduled.data, maintenance_window: {} } })).toContain(
      "*Maintenance window*\\n-",
    );
    expect(
      texts({ ...scheduled, data: { ...scheduled.data, maintenance_window: { start: "22:00", timezone: "UTC" } } }),
    ).toContain("22:00 – ? (UTC)");
    const scan = scanEvent();
    const lists = texts({
      ...scan,
      data: { ...scan.data, deprecated_apis: [{ removed_in: "1.30" }], addon_conflicts: [{ reason: "too old" }] },
    });
    expect(lists).toContain("`?` removed in 1.30");
    expect(lists).toContain("*?* ? → ?: too old");
  });
});
