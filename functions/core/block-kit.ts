import type { UpgradeEvent } from "./events";
import { type RiskLevel, riskLevel, SEVERITY_COLORS } from "./severity";

/** Slack's own limits (Block Kit reference); every message this renders stays inside them. */
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
} as const;

type Text = { type: "plain_text" | "mrkdwn"; text: string; emoji?: boolean };
export type Block =
  | { type: "header"; text: Text }
  | { type: "section"; text?: Text; fields?: Text[] }
  | { type: "divider" }
  | { type: "actions"; elements: { type: "button"; text: Text; url: string; action_id: string }[] }
  | { type: "context"; elements: Text[] };
export interface SlackMessage {
  text: string;
  attachments: [{ color: string; blocks: Block[] }];
}

/** mrkdwn control characters: escaping them means event text can never ping `<!channel>` or forge a `<url|link>`. */
export const escapeMrkdwn = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Cuts to `max` characters with an ellipsis, never splitting an escape sequence or a surrogate pair. */
export function truncate(s: string, max: number): string {
  const chars = Array.from(s);
  if (chars.length <= max) return s;
  let cut = chars.slice(0, max - 1).join("");
  cut = cut.replace(/&[a-z]{0,4}$/, "");
  return `${cut}…`;
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

const md = (text: string, max: number = LIMITS.sectionText): Text => ({ type: "mrkdwn", text: truncate(text, max) });
const e = escapeMrkdwn;
const field = (label: string, value: string): Text => md(`*${label}*\n${e(value) || "-"}`, LIMITS.fieldText);

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
    const line = `\n• ${truncate(raw, 500)}`;
    const remaining = lines.length - i - 1;
    const reserve = remaining > 0 ? `\n…and ${remaining} more`.length : 0;
    if (length + line.length + reserve > LIMITS.sectionText) break;
    kept.push(line);
    length += line.length;
  }
  const more = lines.length - kept.length;
  const text = head + kept.join("") + (more > 0 ? `\n…and ${more} more` : "");
  return { type: "section", text: { type: "mrkdwn", text } };
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
  return {
    text: truncate(f.fallback, LIMITS.fallbackText),
    attachments: [{ color: f.color, blocks: blocks.slice(0, LIMITS.blocks) }],
  };
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
                `\`${e(a.api)}\`${a.removed_in ? ` removed in ${e(a.removed_in)}` : ""}${a.replacement ? ` → \`${e(a.replacement)}\`` : ""}${a.occurrences !== undefined ? ` (${a.occurrences} occurrences)` : ""}`,
            ),
          ),
          listSection(
            "Addon conflicts",
            addons.map(
              (a) =>
                `*${e(a.name)}* ${e(a.installed_version ?? "?")} → ${e(a.required_version ?? "?")}${a.reason ? `: ${e(a.reason)}` : ""}`,
            ),
          ),
        ],
      });
    }
    case "upgrade_scheduled": {
      const d = event.data;
      const head = riskHead(d);
      const w = d.maintenance_window;
      return assemble({
        ...common,
        ...head,
        fields: [
          ...head.fields,
          field("Maintenance window", `${w.start} – ${w.end}${w.timezone ? ` (${w.timezone})` : ""}`),
        ],
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
              `*Error details*\n${d.error_details ? `\`\`\`${truncate(e(d.error_details), LIMITS.sectionText - 100)}\`\`\`` : "-"}`,
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
export function slackPayload(method: "bot_token" | "user_token" | "webhook", channel: string, message: SlackMessage) {
  return method === "webhook" ? { ...message } : { channel, ...message, unfurl_links: false, unfurl_media: false };
}
