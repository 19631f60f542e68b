import type { UpgradeEvent } from "./events";
import { type RiskLevel, riskLevel, SEVERITY_COLORS } from "./severity";

/**
 * Slack's own limits (Block Kit reference); every message this renders stays inside them. Slack does not say whether
 * it counts characters or UTF-16 units, so lengths here are UTF-16 units (JS `length`), the stricter reading: an
 * emoji is two.
 */
export const LIMITS = {
  blocks: 50,
  header: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  buttonText: 75,
  url: 3000,
  contextText: 3000,
  fallbackText: 3000,
  /** All text in a message's blocks: beyond about 12,000 Slack refuses it (`msg_blocks_too_long`, undocumented). */
  blocksTotal: 12_000,
} as const;

/** mrkdwn always carries `verbatim: true`: Slack must not turn event text into links, channel links or mentions. */
type Text = { type: "plain_text"; text: string; emoji?: boolean } | { type: "mrkdwn"; text: string; verbatim: true };
export type Block =
  | { type: "header"; text: Text }
  | { type: "section"; text?: Text; fields?: Text[] }
  | { type: "divider" }
  | { type: "actions"; elements: { type: "button"; text: Text; url: string; action_id: string }[] }
  | { type: "context"; elements: Text[] };
export interface SlackMessage {
  text: string;
  /** `fallback` repeats `text`: what clients that cannot show blocks (notifications, old apps) show instead. */
  attachments: [{ color: string; fallback: string; blocks: Block[] }];
}

/** mrkdwn control characters: escaping them means event text can never ping `<!channel>` or forge a `<url|link>`. */
export const escapeMrkdwn = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * Event text for a one-line place (a field, a list line, a header, the footer), escaped: line breaks and other
 * control characters become one space, so a version string cannot draw lines of its own under its field.
 */
export const escapeLine = (s: string) => escapeMrkdwn(s.replace(/[\p{Cc}\u2028\u2029]+/gu, " "));

/** Event text for a code block, escaped: a run of backticks in it is broken up, so it cannot close the block. */
const escapeCode = (s: string) => escapeMrkdwn(s).replace(/`{3,}/g, (run) => run.split("").join("\u200b"));

/** Where one character as a person reads it (a grapheme: an emoji with its joiners, a letter with its accents) begins. */
const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/**
 * Cuts to at most `max` UTF-16 units, ellipsis included, at the start of a grapheme (never inside an emoji sequence,
 * a letter's accents, a surrogate pair: half a pair is not valid text, and Slack may refuse it), and never inside an
 * escape sequence. A single grapheme longer than the room is cut between code points instead.
 */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max - 1;
  const start = graphemes.segment(s).containing(end)?.index ?? end;
  const last = s.charCodeAt(end - 1);
  if (start > 0) end = start;
  else if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${s.slice(0, end).replace(/&[a-z]{0,4}$/, "")}…`;
}

const FENCE = "```";
/** What a cut mrkdwn text needs to close: a code block left open, or an inline code span. */
const unclosed = (s: string) => {
  const parts = s.split(FENCE);
  if (parts.length % 2 === 0) return FENCE;
  const ticks =
    parts
      .filter((_, i) => i % 2 === 0)
      .join("")
      .split("`").length - 1;
  return ticks % 2 ? "`" : "";
};

/** `truncate` for mrkdwn: a code block or code span the cut leaves open is closed again, within `max`. */
export function truncateMrkdwn(s: string, max: number): string {
  if (s.length <= max) return s;
  for (let room = 0; ; room++) {
    const cut = truncate(s, Math.max(max - room, 1));
    const close = unclosed(cut);
    if (close.length <= room || room >= max) return cut + close;
  }
}

const LABELS: Record<RiskLevel, string> = { critical: "CRITICAL", high: "HIGH", medium: "MEDIUM", low: "LOW" };
const EMOJI: Record<UpgradeEvent["type"], string> = {
  scan_completed: ":mag:",
  upgrade_scheduled: ":calendar:",
  execution_started: ":arrow_forward:",
  execution_completed: ":white_check_mark:",
  execution_failed: ":x:",
};
const TITLES: Record<UpgradeEvent["type"], string> = {
  scan_completed: "Upgrade scan completed",
  upgrade_scheduled: "Upgrade scheduled",
  execution_started: "Upgrade started",
  execution_completed: "Upgrade completed",
  execution_failed: "Upgrade failed",
};

/** A mrkdwn text object of event text (already escaped), cut to `max`. */
export const md = (text: string, max: number = LIMITS.sectionText): Text => ({
  type: "mrkdwn",
  text: truncateMrkdwn(text, max),
  verbatim: true,
});
const e = escapeLine;
/** A labelled value; an empty or blank one (none) shows as a dash. */
const field = (label: string, value: string): Text =>
  md(`*${label}*\n${value.trim() ? e(value) : "-"}`, LIMITS.fieldText);

/**
 * Bullet lines under a title, as many as fit in one section; the rest are counted in a last `…and N more` line.
 * Lines arrive escaped.
 */
function listSection(title: string, lines: string[]): Block | undefined {
  if (lines.length === 0) return undefined;
  const head = `*${title}*`;
  const kept: string[] = [];
  let length = head.length;
  for (const [i, raw] of lines.entries()) {
    const line = `\n• ${truncateMrkdwn(raw, 500)}`;
    const remaining = lines.length - i - 1;
    const reserve = remaining > 0 ? `\n…and ${remaining} more`.length : 0;
    if (length + line.length + reserve > LIMITS.sectionText) break;
    kept.push(line);
    length += line.length;
  }
  const more = lines.length - kept.length;
  const text = head + kept.join("") + (more > 0 ? `\n…and ${more} more` : "");
  return { type: "section", text: { type: "mrkdwn", text, verbatim: true } };
}

export function formatDuration(totalSeconds: number): string {
  const s = Math.round(totalSeconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts = [h ? `${h}h` : "", m ? `${m}m` : "", `${s % 60}s`].filter(Boolean);
  return s >= 60 && s % 60 === 0 ? parts.slice(0, -1).join(" ") : parts.join(" ");
}

const versionFields = (d: { current_version: string; target_version: string }) => [
  field("Current version", d.current_version),
  field("Target version", d.target_version),
];

const riskText = (score: number) => `${score} / 100 (${LABELS[riskLevel(score)]})`;

interface Frame {
  color: string;
  header: string;
  fallback: string;
  fields: Text[];
  sections?: (Block | undefined)[];
  dashboardUrl: string;
  footer: string;
}

function assemble(f: Frame): SlackMessage {
  const blocks: Block[] = [
    { type: "header", text: { type: "plain_text", text: truncate(f.header, LIMITS.header), emoji: true } },
    { type: "section", fields: f.fields.slice(0, LIMITS.fields) },
    ...(f.sections ?? []).filter((b): b is Block => b !== undefined),
    { type: "divider" },
    {
      type: "actions",
      elements: [
        {
          type: "button",
          text: { type: "plain_text", text: "View in Dashboard" },
          url: f.dashboardUrl.slice(0, LIMITS.url),
          action_id: "view_in_dashboard",
        },
      ],
    },
    { type: "context", elements: [md(f.footer, LIMITS.contextText)] },
  ];
  const text = truncate(f.fallback, LIMITS.fallbackText);
  return {
    text,
    attachments: [{ color: f.color, fallback: text, blocks: fitTotal(blocks.slice(0, LIMITS.blocks)) }],
  };
}

/** Every text object of a block, in order. */
const textsOf = (b: Block): Text[] => {
  switch (b.type) {
    case "header":
      return [b.text];
    case "section":
      return [...(b.text ? [b.text] : []), ...(b.fields ?? [])];
    case "actions":
      return b.elements.map((el) => el.text);
    case "context":
      return b.elements;
    default:
      return [];
  }
};

/**
 * Keeps the blocks' text within `LIMITS.blocksTotal` in all. The schema's own bounds keep every message under it
 * today; this is the guard should that change: section texts and fields are cut down to one common length, the
 * largest that fits, so the short ones (versions, scores) stay whole and only the long ones lose their tails.
 */
export function fitTotal(blocks: Block[], budget: number = LIMITS.blocksTotal): Block[] {
  const all = blocks.flatMap(textsOf);
  const total = all.reduce((n, t) => n + t.text.length, 0);
  if (total <= budget) return blocks;
  const cuttable = blocks.filter((b) => b.type === "section").flatMap(textsOf);
  const fixed = total - cuttable.reduce((n, t) => n + t.text.length, 0);
  const lengths = cuttable.map((t) => t.text.length).sort((a, b) => a - b);
  // The largest cap c with fixed + sum(min(length, c)) <= budget.
  let cap = 0;
  let below = 0;
  for (const [i, length] of lengths.entries()) {
    const c = Math.floor((budget - fixed - below) / (lengths.length - i));
    if (c < length) {
      cap = c;
      break;
    }
    below += length;
    cap = length;
  }
  const cut = (t: Text): Text =>
    t.text.length > cap
      ? { ...t, text: (t.type === "mrkdwn" ? truncateMrkdwn : truncate)(t.text, Math.max(cap, 1)) }
      : t;
  return blocks.map((b) =>
    b.type === "section"
      ? { ...b, ...(b.text ? { text: cut(b.text) } : {}), ...(b.fields ? { fields: b.fields.map(cut) } : {}) }
      : b,
  );
}

export interface RenderOptions {
  /** Where "View in Dashboard" points when the event carries no dashboard_url. */
  defaultDashboardUrl: string;
}

/** The Slack message for one upgrade event: coloured by severity, a field grid, the dashboard button and a footer. */
export function renderEvent(event: UpgradeEvent, opts: RenderOptions): SlackMessage {
  const cluster = event.cluster.name;
  const clusterField = field(
    "Cluster",
    [cluster, event.cluster.provider, event.cluster.region].filter(Boolean).join(" · "),
  );
  const footer = `Medulla upgrade notifications · event ${e(event.event_id)}${event.occurred_at ? ` · ${e(event.occurred_at)}` : ""}`;
  const common = {
    header: `${EMOJI[event.type]} ${TITLES[event.type]}: ${e(cluster)}`,
    dashboardUrl: event.dashboard_url ?? opts.defaultDashboardUrl,
    footer,
  };
  const fallbackFor = (label?: string) => `${TITLES[event.type]} on cluster ${e(cluster)}${label ? ` (${label})` : ""}`;
  /** Scans and schedules: coloured and labelled by risk, which leads their fields. */
  const riskHead = (d: { risk_score: number; current_version: string; target_version: string }) => {
    const level = riskLevel(d.risk_score);
    return {
      color: SEVERITY_COLORS[level],
      fallback: fallbackFor(LABELS[level]),
      fields: [clusterField, field("Risk score", riskText(d.risk_score)), ...versionFields(d)],
    };
  };
  switch (event.type) {
    case "scan_completed": {
      const d = event.data;
      const head = riskHead(d);
      const apis = d.deprecated_apis ?? [];
      const addons = d.addon_conflicts ?? [];
      return assemble({
        ...common,
        ...head,
        fields: [
          ...head.fields,
          field("Deprecated APIs", String(apis.length)),
          field("Addon conflicts", String(addons.length)),
        ],
        sections: [
          listSection(
            "Deprecated APIs",
            apis.map(
              (a) =>
                `\`${e(a.api ?? "?")}\`${a.removed_in ? ` removed in ${e(a.removed_in)}` : ""}${a.replacement ? ` → \`${e(a.replacement)}\`` : ""}${a.occurrences !== undefined ? ` (${a.occurrences} occurrences)` : ""}`,
            ),
          ),
          listSection(
            "Addon conflicts",
            addons.map(
              (a) =>
                `*${e(a.name ?? "?")}* ${e(a.installed_version ?? "?")} → ${e(a.required_version ?? "?")}${a.reason ? `: ${e(a.reason)}` : ""}`,
            ),
          ),
        ],
      });
    }
    case "upgrade_scheduled": {
      const d = event.data;
      const head = riskHead(d);
      const w = d.maintenance_window;
      const when = w.start || w.end ? `${w.start ?? "?"} – ${w.end ?? "?"}` : "";
      const zone = w.timezone ? `(${w.timezone})` : "";
      return assemble({
        ...common,
        ...head,
        fields: [...head.fields, field("Maintenance window", [when, zone].filter(Boolean).join(" "))],
      });
    }
    case "execution_started": {
      const d = event.data;
      return assemble({
        ...common,
        color: SEVERITY_COLORS.info,
        fallback: fallbackFor(),
        fields: [clusterField, field("Execution", d.execution_id), ...versionFields(d)],
      });
    }
    case "execution_completed": {
      const d = event.data;
      return assemble({
        ...common,
        color: SEVERITY_COLORS.success,
        fallback: fallbackFor(),
        fields: [
          clusterField,
          field("Execution", d.execution_id),
          field("Versions", `${d.current_version} → ${d.target_version}`),
          field("Duration", formatDuration(d.duration_seconds)),
          field("Rollback status", d.rollback_status),
          field("Confidence score", `${d.confidence_score} / 100`),
        ],
      });
    }
    case "execution_failed": {
      const d = event.data;
      return assemble({
        ...common,
        color: SEVERITY_COLORS.critical,
        fallback: fallbackFor("CRITICAL"),
        fields: [
          clusterField,
          field("Execution", d.execution_id),
          ...versionFields(d),
          field("Failure reason", d.failure_reason),
          field("Rollback status", d.rollback_status),
        ],
        sections: [
          {
            type: "section",
            text: md(
              `*Error details*\n${d.error_details ? `\`\`\`${truncate(escapeCode(d.error_details), LIMITS.sectionText - 100)}\`\`\`` : "-"}`,
            ),
          },
        ],
      });
    }
  }
}

/** The message "Send test" posts: blue, titled "Medulla test notification". */
export function renderTest(input: {
  workspaceId: string;
  channel: string;
  dashboardUrl: string;
  at: string;
}): SlackMessage {
  return assemble({
    color: SEVERITY_COLORS.info,
    header: "Medulla test notification",
    fallback: `Medulla test notification for ${input.channel}`,
    fields: [field("Workspace", input.workspaceId), field("Channel", input.channel), field("Sent at", input.at)],
    sections: [{ type: "section", text: md("If you can read this, Medulla can post upgrade notifications here.") }],
    dashboardUrl: input.dashboardUrl,
    footer: "Medulla upgrade notifications · test message",
  });
}

/** The exact body Slack receives: chat.postMessage names the channel, a webhook posts to its own. */
export function slackPayload(
  method: "bot_token" | "user_token" | "webhook",
  channel: string,
  message: SlackMessage,
  /** A reply in an upgrade's thread (tokens only): its parent's ts, and whether the channel sees it too. */
  reply?: { threadTs: string; broadcast?: boolean },
) {
  if (method === "webhook") return { ...message };
  return {
    channel,
    ...message,
    unfurl_links: false,
    unfurl_media: false,
    ...(reply ? { thread_ts: reply.threadTs, ...(reply.broadcast ? { reply_broadcast: true } : {}) } : {}),
  };
}
