import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { integrationViewSchema, notificationViewSchema, testResultsSchema } from "../../functions/api/views";
import { FAKE_SLACK_BOT, FAKE_SLACK_TEAM } from "../../local/fake-slack";
import { scanEvent } from "../fixtures/events";
import { startTestStack, type TestStack } from "../fixtures/test-stack";

let t: TestStack;
beforeAll(async () => {
  t = await startTestStack();
});
afterAll(async () => {
  await t.stop();
});

type Health = { status: string; last_delivered_at: string | null; last_error: string | null; hint: string | null };
type View = { slack: Record<string, string> | null; channels: { name: string; health: Health }[] };
type Workspace = Awaited<ReturnType<TestStack["workspace"]>>;

const put = (w: Workspace, body: unknown) => t.call("PUT", `${w.base}/integrations/slack`, { token: w.token, body });
const view = (w: Workspace) => t.call<View>("GET", `${w.base}/integrations/slack`, { token: w.token });
const errorOf = (res: { body: Record<string, unknown> }) =>
  (res.body.error ?? {}) as { code?: string; message?: string };
const identity = { ...FAKE_SLACK_TEAM, user: FAKE_SLACK_BOT.user, user_id: FAKE_SLACK_BOT.user_id };

describe("the connect preflight", () => {
  it("asks auth.test with the new token, and the view carries the Slack identity", async () => {
    const w = await t.workspace();
    const calls = t.slack.authRequests.length;
    const connected = await w.connect({ bot_token: "xoxb-preflight-ok-1", channel: "#upgrades" });
    expect(t.slack.authRequests.slice(calls).map((r) => r.authorization)).toEqual(["Bearer xoxb-preflight-ok-1"]);
    expect(connected.slack).toEqual(identity);
    expect((await view(w)).body.slack).toEqual(identity);
    // A PUT without a credential asks nothing and keeps the identity.
    const updated = await put(w, { enabled: false });
    expect(t.slack.authRequests.length).toBe(calls + 1);
    expect(updated.body.slack).toEqual(identity);
  });

  it("credential_rejected names Slack's error and stores nothing: GET stays 404 not_connected", async () => {
    const w = await t.workspace();
    const res = await put(w, { bot_token: "xoxb-revoked-1234", channel: "#upgrades" });
    expect(res.status).toBe(400);
    expect(errorOf(res).code).toBe("credential_rejected");
    expect(errorOf(res).message).toContain("token_revoked");
    expect(res.text).not.toContain("xoxb-revoked-1234");
    const after = await view(w);
    expect(after.status).toBe(404);
    expect(errorOf(after).code).toBe("not_connected");
  });

  it("a rejected new token leaves the previous integration exactly as it was", async () => {
    const w = await t.workspace();
    await w.connect({ bot_token: "xoxb-test-1234", channel: "#upgrades" });
    const before = (await view(w)).body;
    const rejected: [string, string][] = [
      ["xoxb-invalid-9999", "invalid_auth"],
      ["xoxp-expired-9999", "token_expired"],
      ["xoxb-inactive-9999", "account_inactive"],
    ];
    for (const [token, slackError] of rejected) {
      const field = token.startsWith("xoxp-") ? "user_token" : "bot_token";
      const res = await put(w, { [field]: token, channel: "#elsewhere", enabled: false });
      expect(errorOf(res), token).toMatchObject({ code: "credential_rejected" });
      expect(errorOf(res).message).toContain(slackError);
    }
    expect((await view(w)).body).toEqual(before);
  });

  it("missing_scope when the token's scopes lack chat:write", async () => {
    const w = await t.workspace();
    const res = await put(w, { bot_token: "xoxb-noscope-1234" });
    expect(res.status).toBe(400);
    expect(errorOf(res).code).toBe("missing_scope");
    expect(errorOf(res).message).toContain("chat:write");
    expect((await view(w)).status).toBe(404);
  });

  it("slack_unavailable (502) on a 5xx, a 429, a dropped connection and a timeout; nothing stored", async () => {
    const w = await t.workspace();
    t.slack.scriptAuth({ status: 500, text: "oops" }, { status: 429, headers: { "retry-after": "3" } }, "reset");
    for (const expected of ["http_500", "rate_limited", "network_error"]) {
      const res = await put(w, { bot_token: "xoxb-test-1234" });
      expect(res.status, expected).toBe(502);
      expect(errorOf(res).code).toBe("slack_unavailable");
      expect(errorOf(res).message).toContain(expected);
    }
    // Held past SLACK_TIMEOUT_MS (2 s in the test stack).
    let release = () => {};
    t.slack.scriptAuth({ until: new Promise<void>((r) => (release = r)) });
    const started = Date.now();
    const res = await put(w, { bot_token: "xoxb-test-1234" });
    release();
    expect(res.status).toBe(502);
    expect(errorOf(res).message).toContain("timeout");
    expect(Date.now() - started).toBeLessThan(6000);
    expect((await view(w)).status).toBe(404);
  });

  it("webhooks are not preflighted and have no identity", async () => {
    const w = await t.workspace();
    const calls = t.slack.authRequests.length;
    const connected = await w.connect({ webhook_url: "https://hooks.slack.com/services/T1/B1/preflight" });
    expect(connected.slack).toBeNull();
    expect(t.slack.authRequests.length).toBe(calls);
  });
});

describe("channel health and hints", () => {
  it("unknown before anything, ok after a delivery, failing with Slack's error and a hint after not_in_channel", async () => {
    const w = await t.workspace();
    await w.connect({ bot_token: "xoxb-test-1234", channels: ["#health-ok", "#health-bad"] });
    const first = (await view(w)).body;
    expect(first.channels.map((c) => c.health)).toEqual([
      { status: "unknown", last_delivered_at: null, last_error: null, last_error_at: null, hint: null },
      { status: "unknown", last_delivered_at: null, last_error: null, last_error_at: null, hint: null },
    ]);

    t.slack.script("#health-bad", { json: { ok: false, error: "not_in_channel" } });
    const accepted = await w.post(scanEvent());
    for (const n of accepted.body.notifications) await w.settled(n.id);
    const failed = accepted.body.notifications.find((n) => n.channel === "#health-bad");
    const notification = (await w.notification(failed?.id as string)).body;
    expect(notification).toMatchObject({ status: "failed", error: "not_in_channel" });
    // The log names the user the app posts as, as the channel's health does.
    expect(notification.hint).toBe(`Invite the app to the channel: \`/invite @${FAKE_SLACK_BOT.user}\`.`);
    const log = (
      await t.call<{ items: { id: string; hint?: string }[] }>("GET", `${w.base}/notifications`, { token: w.token })
    ).body;
    expect(log.items.find((i) => i.id === failed?.id)?.hint).toBe(notification.hint);

    // What the API answers is what its OpenAPI document says.
    expect(notificationViewSchema.safeParse(notification).success).toBe(true);
    const after = (await view(w)).body;
    expect(integrationViewSchema.safeParse(after).error).toBeUndefined();
    const [ok, bad] = after.channels;
    expect(ok?.health).toMatchObject({ status: "ok", last_error: null, hint: null });
    expect(Date.parse(ok?.health.last_delivered_at ?? "")).toBeGreaterThan(0);
    expect(bad?.health).toMatchObject({ status: "failing", last_delivered_at: null, last_error: "not_in_channel" });
    expect(bad?.health.hint).toBe(`Invite the app to the channel: \`/invite @${FAKE_SLACK_BOT.user}\`.`);
  });

  it("the test message gives failed results a hint and moves the channel's health both ways", async () => {
    const w = await t.workspace();
    await w.connect({ bot_token: "xoxb-test-1234", channels: ["#test-health"] });
    const test = () =>
      t.call<{ results: { status: string; error?: string; hint?: string }[] }>(
        "POST",
        `${w.base}/integrations/slack/test`,
        { token: w.token },
      );
    t.slack.script("#test-health", { json: { ok: false, error: "is_archived" } });
    const failedTest = (await test()).body;
    expect(testResultsSchema.safeParse(failedTest).error).toBeUndefined();
    const [failed] = failedTest.results;
    expect(failed).toMatchObject({ status: "failed", error: "is_archived" });
    expect(failed?.hint).toMatch(/archived/);
    expect((await view(w)).body.channels[0]?.health).toMatchObject({ status: "failing", last_error: "is_archived" });

    const [delivered] = (await test()).body.results;
    expect(delivered).toEqual({ channel: "#test-health", status: "delivered", notification_id: expect.any(String) });
    // Back to ok; the last error is still shown, without a hint.
    expect((await view(w)).body.channels[0]?.health).toMatchObject({
      status: "ok",
      last_error: "is_archived",
      hint: null,
    });
  });

  it("the fake Slack answers not_in_channel for a channel named uninvited, as the README's walk-through says", async () => {
    const w = await t.workspace();
    await w.connect({ bot_token: "xoxb-test-5678", channels: ["#upgrades", "#uninvited"] });
    const res = await t.call<{ results: { channel: string; status: string; error?: string; hint?: string }[] }>(
      "POST",
      `${w.base}/integrations/slack/test`,
      { token: w.token },
    );
    expect(res.body.results.map((r) => [r.channel, r.status, r.error])).toEqual([
      ["#upgrades", "delivered", undefined],
      ["#uninvited", "failed", "not_in_channel"],
    ]);
    expect(res.body.results[1]?.hint).toContain("/invite @");
  });

  it("a disconnect and a fresh connect start from unknown", async () => {
    const w = await t.workspace();
    await w.connect({ bot_token: "xoxb-test-1234", channels: ["#reconnect"] });
    t.slack.script("#reconnect", { json: { ok: false, error: "channel_not_found" } });
    await t.call("POST", `${w.base}/integrations/slack/test`, { token: w.token });
    expect((await view(w)).body.channels[0]?.health.status).toBe("failing");
    await t.call("DELETE", `${w.base}/integrations/slack`, { token: w.token });
    const again = await w.connect({ bot_token: "xoxb-test-5678", channels: ["#reconnect"] });
    expect((again as unknown as View).channels[0]?.health.status).toBe("unknown");
  });
});
