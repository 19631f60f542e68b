import { describe, expect, it } from "vitest";
import { notificationView } from "../../functions/api/views";
import { channelHealth } from "../../functions/core/health";
import type { NotificationRecord } from "../../functions/core/ports";
import { hintFor, UNCERTAIN_HINT } from "../../functions/core/hints";

/** Every code the contract and the brief name, Slack's (Web API, webhooks, threads) and ours. */
const CODES = [
  "not_in_channel",
  "channel_not_found",
  "is_archived",
  "invalid_auth",
  "token_revoked",
  "token_expired",
  "account_inactive",
  "not_authed",
  "missing_scope",
  "no_permission",
  "rate_limited",
  "ratelimited",
  "attempts_exhausted",
  "not_connected",
  "disabled",
  "credential_unreadable",
  "restricted_action",
  "restricted_action_read_only_channel",
  "restricted_action_thread_only_channel",
  "message_limit_exceeded",
  "msg_too_long",
  "msg_blocks_too_long",
  "invalid_blocks",
  "no_service",
  "channel_is_archived",
  "action_prohibited",
  "invalid_payload",
  "http_404",
  "http_410",
  "http_503",
  "message_not_found",
  "cant_update_message",
  "edit_window_closed",
  "thread_not_found",
  "invalid_thread_ts",
  "timeout",
  "network_error",
  "internal_error",
  "invalid_response",
];

describe("hints", () => {
  it.each(CODES)("%s has one sentence saying what to do", (code) => {
    const hint = hintFor(code);
    expect(hint).toMatch(/^[A-Z].{15,}\.$/);
    expect(hint?.split(/\.\s+[A-Z]/)).toHaveLength(1);
  });

  it("the hint of a notification whose attempt was cut off is one sentence too", () => {
    expect(UNCERTAIN_HINT).toMatch(/^[A-Z].{15,}\.$/);
    expect(UNCERTAIN_HINT.split(/\.\s+[A-Z]/)).toHaveLength(1);
  });

  it("not_in_channel names the app's user for the invitation when it is known", () => {
    expect(hintFor("not_in_channel", { user: "medulla" })).toBe("Invite the app to the channel: `/invite @medulla`.");
    expect(hintFor("not_in_channel")).toContain("/invite @");
  });

  it("a code nobody can act on has none", () => {
    expect(hintFor("something_new")).toBeUndefined();
  });
});

describe("channel health", () => {
  const integration = {
    connection_id: "conn_1",
    slack: { team: "A", team_id: "T", user: "bot", user_id: "U", url: "" },
  };

  it("is unknown without a record, and for a record of an earlier connection", () => {
    expect(channelHealth(undefined, integration).status).toBe("unknown");
    const old = { connection_id: "conn_0", status: "failed" as const, last_error: "not_connected", last_error_at: "t" };
    expect(channelHealth(old, integration)).toEqual({
      status: "unknown",
      last_delivered_at: null,
      last_error: null,
      last_error_at: null,
      hint: null,
    });
  });

  it("once this connection has an outcome, the earlier connection's last error or delivery is not shown beside it", () => {
    // Failed not_connected under conn_0 (the disconnect), then delivered under conn_1 (the reconnect).
    const reconnected = {
      connection_id: "conn_1",
      status: "delivered" as const,
      last_delivered_at: "t2",
      last_delivered_connection_id: "conn_1",
      last_error: "not_connected",
      last_error_at: "t1",
      last_error_connection_id: "conn_0",
    };
    expect(channelHealth(reconnected, integration)).toEqual({
      status: "ok",
      last_delivered_at: "t2",
      last_error: null,
      last_error_at: null,
      hint: null,
    });
    const failingSince = {
      connection_id: "conn_1",
      status: "failed" as const,
      last_delivered_at: "t0",
      last_delivered_connection_id: "conn_0",
      last_error: "not_in_channel",
      last_error_at: "t3",
      last_error_connection_id: "conn_1",
    };
    expect(channelHealth(failingSince, integration)).toMatchObject({
      status: "failing",
      last_delivered_at: null,
      last_error: "not_in_channel",
    });
  });

  it("ok after a delivery (the last error kept, no hint); failing with the hint after a failure", () => {
    const ok = {
      connection_id: "conn_1",
      status: "delivered" as const,
      last_delivered_at: "t2",
      last_error: "x",
      last_error_at: "t1",
    };
    expect(channelHealth(ok, integration)).toEqual({
      status: "ok",
      last_delivered_at: "t2",
      last_error: "x",
      last_error_at: "t1",
      hint: null,
    });
    const failing = {
      connection_id: "conn_1",
      status: "failed" as const,
      last_error: "not_in_channel",
      last_error_at: "t3",
    };
    expect(channelHealth(failing, integration)).toMatchObject({
      status: "failing",
      last_delivered_at: null,
      last_error: "not_in_channel",
      hint: "Invite the app to the channel: `/invite @bot`.",
    });
  });
});

describe("a notification's hint", () => {
  const base: NotificationRecord = {
    workspace_id: "ws_1",
    id: "ntf_1",
    event_id: "e",
    type: "scan_completed",
    channel: "#a",
    status: "failed",
    attempts: 1,
    error: "channel_not_found",
    created_at: "t",
    updated_at: "t",
    connection_id: "c",
    dispatch_id: "ntf_1",
  };

  it("is on a failed notification, and on a delivered one whose thread update failed, never otherwise", () => {
    expect(notificationView(base).hint).toBe(hintFor("channel_not_found"));
    const { error: _error, ...delivered } = base;
    expect(notificationView({ ...delivered, status: "delivered" })).not.toHaveProperty("hint");
    expect(notificationView({ ...delivered, status: "delivered", thread_error: "cant_update_message" }).hint).toBe(
      hintFor("cant_update_message"),
    );
    // A delivered notification cannot be retried: a Slack outage's hint says what mends the status message instead.
    const outage = notificationView({ ...delivered, status: "delivered", thread_error: "http_503" }).hint;
    expect(outage).toContain("next event updates it");
    expect(outage).not.toContain("retry");
    expect(notificationView({ ...delivered, status: "pending" })).not.toHaveProperty("hint");
  });
});
