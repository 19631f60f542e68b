import { renderEvent, slackPayload } from "../block-kit";
import { payloadHash } from "../canonical";
import { newNotification } from "../delivery";
import { DomainError } from "../errors";
import { eventSchema, type UpgradeEvent } from "../events";
import { selectChannels } from "../fan-out";
import { broadcasts, threadKeyOf, withMentions } from "../threads";
import type { AcceptedEventResponse, DeliveryStore, EventStore, IntegrationStore } from "../ports";
import { parseOrThrow } from "../validation";

/** A validated event; `occurred_at` defaults to now. */
export function parseEvent(body: unknown): UpgradeEvent {
  const parsed = parseOrThrow(eventSchema, body, "event");
  return { ...parsed, occurred_at: parsed.occurred_at ?? new Date().toISOString() };
}

export type AcceptResult =
  | { kind: "accepted"; response: AcceptedEventResponse; notificationsCreated: number }
  /** The same event_id with the same payload: the first response, nothing new sent. */
  | { kind: "repeat"; response: AcceptedEventResponse };

/**
 * Accepts an event: one pending notification per channel its conditions select, stored with the event in one write
 * (the outbox's commit point). A known event_id with the same payload repeats the first answer; with another
 * payload it is a conflict.
 */
export async function acceptEvent(
  deps: { integrations: IntegrationStore; events: EventStore },
  workspaceId: string,
  body: unknown,
): Promise<AcceptResult> {
  const upgrade = parseEvent(body);
  const hash = payloadHash(body);
  const integration = await deps.integrations.getIntegration(workspaceId);
  const fanOut = selectChannels(integration, upgrade);
  const now = new Date().toISOString();
  const notifications = fanOut.channels.map((channel) =>
    newNotification(
      {
        workspace_id: workspaceId,
        event_id: upgrade.event_id,
        type: upgrade.type,
        channel,
        connection_id: integration?.connection_id ?? "",
      },
      now,
    ),
  );
  const response: AcceptedEventResponse = {
    event_id: upgrade.event_id,
    notifications: notifications.map((n) => ({ id: n.id, channel: n.channel, status: n.status })),
    ...("skipped" in fanOut ? { skipped: fanOut.skipped } : {}),
  };
  const result = await deps.events.acceptEvent(
    {
      workspace_id: workspaceId,
      event_id: upgrade.event_id,
      payload_hash: hash,
      event: upgrade,
      response,
      created_at: now,
    },
    notifications,
  );
  if (result.stored) return { kind: "accepted", response, notificationsCreated: notifications.length };
  if (result.existing.payload_hash !== hash) {
    throw new DomainError(
      "event_id_conflict",
      `Event ${upgrade.event_id} was already accepted with a different payload.`,
    );
  }
  return { kind: "repeat", response: result.existing.response };
}

/**
 * The exact Slack payloads an event would produce, per channel (mentions included); nothing stored or sent. In a
 * thread, the same payload is the reply (with `thread_ts`).
 */
export async function previewEvent(
  deps: { integrations: IntegrationStore; threads: Pick<DeliveryStore, "getThread">; dashboardUrl: string },
  workspaceId: string,
  body: unknown,
) {
  const upgrade = parseEvent(body);
  const integration = await deps.integrations.getIntegration(workspaceId);
  const fanOut = selectChannels(integration, upgrade);
  const message = renderEvent(upgrade, { defaultDashboardUrl: deps.dashboardUrl });
  const method = integration?.method ?? "bot_token";
  const configOf = (name: string) => integration?.channels.find((c) => c.name === name);
  const key = integration?.threads && method !== "webhook" ? threadKeyOf(upgrade) : undefined;
  /**
   * In an upgrade's thread the event's message is posted as a reply: with the thread's ts when the thread is there
   * (a first event posts the status message first, whose ts Slack has not given yet).
   */
  const replyIn = async (channel: string) => {
    const thread = key ? await deps.threads.getThread(workspaceId, channel, key) : undefined;
    return thread?.ts && !thread.gone ? { threadTs: thread.ts, broadcast: broadcasts(upgrade) } : undefined;
  };
  return {
    messages: await Promise.all(
      fanOut.channels.map(async (channel) => ({
        channel,
        payload: slackPayload(
          method,
          channel,
          withMentions(message, configOf(channel), upgrade),
          await replyIn(channel),
        ),
      })),
    ),
    ...("skipped" in fanOut ? { skipped: fanOut.skipped } : {}),
  };
}
