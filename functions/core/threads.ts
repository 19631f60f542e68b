import {
  type Block,
  escapeLine,
  formatDuration,
  LIMITS,
  md,
  renderEvent,
  type SlackMessage,
  truncate,
} from "./block-kit";
import type { EventType, UpgradeEvent } from "./events";
import type { ChannelConfig } from "./settings";
import { type RiskLevel, riskLevel, severityOf } from "./severity";

/**
 * Upgrade threads (contract section 5): one status message per upgrade and channel, kept up to date in place, and
 * every step as a reply under it. Everything here is pure: the thread's state, how an event changes it, and the status
 * message as a function of it.
 */

/** The thread an event belongs to: its upgrade, else its execution; none for a scan or schedule without one. */
export function threadKeyOf(event: UpgradeEvent): string | undefined {
  if (event.upgrade_id !== undefined) return `upgrade:${event.upgrade_id}`;
  if ("execution_id" in event.data) return `execution:${event.data.execution_id}`;
  return undefined;
}

export type UpgradeStatus = "Scanned" | "Scheduled" | "In progress" | "Completed" | "Failed";
const STATUS_OF: Record<EventType, UpgradeStatus> = {
  scan_completed: "Scanned",
  upgrade_scheduled: "Scheduled",
  execution_started: "In progress",
  execution_completed: "Completed",
  execution_failed: "Failed",
};
const STEP_NAMES: Record<EventType, string> = {
  scan_completed: "Scan completed",
  upgrade_scheduled: "Upgrade scheduled",
  execution_started: "Execution started",
  execution_completed: "Execution completed",
  execution_failed: "Execution failed",
};
const LABELS: Record<RiskLevel, string> = { critical: "CRITICAL", high: "HIGH", medium: "MEDIUM", low: "LOW" };

/** What the status message shows: the upgrade so far. */
export interface ThreadState {
  cluster: string;
  current_version: string;
  target_version: string;
  status: UpgradeStatus;
  last_type: EventType;
  last_at: string;
  risk_score?: number;
  duration_seconds?: number;
  dashboard_url: string;
  /** The colour of the latest event's own message. */
  color: string;
  /** Replies the thread holds once the latest event's reply is posted. */
  replies: number;
  /** The notification whose event the state shows (ids sort in the order they were accepted). */
  step_of?: string;
}

/**
 * The state after one more event (its reply counted). `notificationId` is the event's notification: one accepted
 * before the step shown (a retried older notification) adds its reply to the count and leaves the step as it is, so
 * the status never goes back.
 */
export function applyEvent(
  state: ThreadState | undefined,
  event: UpgradeEvent,
  opts: { defaultDashboardUrl: string },
  notificationId?: string,
): ThreadState {
  if (state?.step_of !== undefined && notificationId !== undefined && notificationId < state.step_of)
    return { ...state, replies: state.replies + 1 };
  const d = event.data;
  const own = renderEvent(event, opts);
  const risk = "risk_score" in d ? d.risk_score : state?.risk_score;
  const duration = "duration_seconds" in d ? d.duration_seconds : state?.duration_seconds;
  return {
    cluster: event.cluster.name,
    current_version: d.current_version,
    target_version: d.target_version,
    status: STATUS_OF[event.type],
    last_type: event.type,
    last_at: event.occurred_at ?? new Date().toISOString(),
    ...(risk !== undefined ? { risk_score: risk } : {}),
    ...(duration !== undefined ? { duration_seconds: duration } : {}),
    dashboard_url: event.dashboard_url ?? state?.dashboard_url ?? opts.defaultDashboardUrl,
    color: own.attachments[0].color,
    replies: (state?.replies ?? 0) + 1,
    ...(notificationId !== undefined ? { step_of: notificationId } : {}),
  };
}

const e = escapeLine;

/** The status message: a pure function of the thread's state, so the post, the update and the tests agree. */
export function renderStatus(state: ThreadState): SlackMessage {
  const versions = `${state.current_version} → ${state.target_version}`;
  const field = (label: string, value: string) => md(`*${label}*\n${value}`, LIMITS.fieldText);
  const fields = [
    field("Status", state.status),
    field("Last step", `${STEP_NAMES[state.last_type]} · ${e(state.last_at)}`),
    ...(state.risk_score !== undefined
      ? [field("Risk", `${state.risk_score} / 100 (${LABELS[riskLevel(state.risk_score)]})`)]
      : []),
    ...(state.duration_seconds !== undefined ? [field("Duration", formatDuration(state.duration_seconds))] : []),
  ];
  const replies = `${state.replies} ${state.replies === 1 ? "update" : "updates"} in this thread`;
  const blocks: Block[] = [
    {
      type: "header",
      text: { type: "plain_text", text: truncate(`Upgrade ${e(state.cluster)}: ${e(versions)}`, LIMITS.header) },
    },
    { type: "section", fields },
    // Laid out as every message is (contract section 3): the fields, a divider, the button.
    { type: "divider" },
    {
      type: "actions",
      elements: [
        {
          type: "button",
          text: { type: "plain_text", text: "View in Dashboard" },
          url: state.dashboard_url.slice(0, LIMITS.url),
          action_id: "view_in_dashboard",
        },
      ],
    },
    { type: "context", elements: [md(`Medulla upgrade · ${replies}`, LIMITS.contextText)] },
  ];
  const text = truncate(`Upgrade of ${e(state.cluster)} ${e(versions)}: ${state.status}`, LIMITS.fallbackText);
  return { text, attachments: [{ color: state.color, fallback: text, blocks }] };
}

/** Failures and critical steps are also shown in the channel; the rest stay in the thread. */
export const broadcasts = (event: UpgradeEvent) =>
  event.type === "execution_failed" || severityOf(event) === "critical";

const MENTION_SYNTAX = (m: string) =>
  m === "here" || m === "channel" ? `<!${m}>` : m.startsWith("S") ? `<!subteam^${m}>` : `<@${m}>`;

/**
 * The channel's mentions, when the event's severity calls for them, in the message's top-level text (attachments do
 * not notify). Built from validated ids only: event data never pings anyone.
 */
export function withMentions(message: SlackMessage, channel: ChannelConfig | undefined, event: UpgradeEvent) {
  if (!channel?.mentions.length || !channel.mention_on.includes(severityOf(event))) return message;
  const prefix = channel.mentions.map(MENTION_SYNTAX).join(" ");
  const text = truncate(`${prefix} ${message.text}`, LIMITS.fallbackText);
  // The attachment's fallback repeats the text (contract section 3): attachments do not notify, so nobody is pinged twice.
  const [attachment] = message.attachments;
  return { ...message, text, attachments: [{ ...attachment, fallback: text }] as SlackMessage["attachments"] };
}
