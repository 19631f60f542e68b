import { hintFor } from "./hints";
import type { ChannelHealthRecord, IntegrationRecord } from "./ports";

/** A channel's health as the integration view shows it (contract section 2). */
export interface ChannelHealth {
  status: "ok" | "failing" | "unknown";
  last_delivered_at: string | null;
  last_error: string | null;
  last_error_at: string | null;
  hint: string | null;
}

export const UNKNOWN_HEALTH: ChannelHealth = {
  status: "unknown",
  last_delivered_at: null,
  last_error: null,
  last_error_at: null,
  hint: null,
};

/**
 * The health a channel's record says, for this connection only: what happened under an earlier connection (before a
 * disconnect) says nothing about this one, so it reads as unknown, and once this connection has an outcome, the
 * earlier connection's last delivery or last error is not shown beside it. A channel removed and added again within
 * the same connection keeps its health.
 */
export function channelHealth(
  record: ChannelHealthRecord | undefined,
  integration: Pick<IntegrationRecord, "connection_id" | "slack">,
): ChannelHealth {
  if (!record || record.connection_id !== integration.connection_id) return UNKNOWN_HEALTH;
  const failing = record.status === "failed";
  const ours = (connection: string | undefined) => connection === undefined || connection === integration.connection_id;
  const delivered = ours(record.last_delivered_connection_id);
  const errored = ours(record.last_error_connection_id);
  return {
    status: failing ? "failing" : "ok",
    last_delivered_at: (delivered && record.last_delivered_at) || null,
    last_error: (errored && record.last_error) || null,
    last_error_at: (errored && record.last_error_at) || null,
    hint: failing && record.last_error ? (hintFor(record.last_error, { user: integration.slack?.user }) ?? null) : null,
  };
}
