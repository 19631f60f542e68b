import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStack, type TestStack } from "../fixtures/test-stack";

let t: TestStack;
beforeAll(async () => {
  t = await startTestStack();
});
afterAll(async () => {
  await t.stop();
});

const put = (w: { base: string; token: string }, body: unknown) =>
  t.call("PUT", `${w.base}/integrations/slack`, { token: w.token, body });
const code = (res: { body: Record<string, unknown> }) => (res.body.error as { code?: string } | undefined)?.code;

describe("connect and update Slack", () => {
  it("a first connect needs exactly one credential", async () => {
    const w = await t.workspace();
    for (const body of [
      {},
      { channel: "#x" },
      { bot_token: "xoxb-1", webhook_url: "https://hooks.slack.com/services/T/B/x" },
      { bot_token: "xoxb-1", user_token: "xoxp-1" },
    ]) {
      const res = await put(w, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(code(res)).toBe("invalid_credentials");
      expect((res.body.error as { message: string }).message).toContain("provide either bot_token or webhook_url");
    }
    expect((await t.call("GET", `${w.base}/integrations/slack`, { token: w.token })).status).toBe(404);
  });

  it("checks token prefixes", async () => {
    const w = await t.workspace();
    expect(code(await put(w, { bot_token: "xoxp-123" }))).toBe("invalid_bot_token");
    expect(code(await put(w, { bot_token: 12 }))).toBe("invalid_bot_token");
    expect(code(await put(w, { user_token: "xoxb-123" }))).toBe("invalid_user_token");
  });

  it("rejects every hostile webhook URL and stores nothing", async () => {
    const w = await t.workspace();
    const hostile = [
      "http://hooks.slack.com/services/T/B/x",
      "https://hooks.slack.com.evil.example/services/T/B/x",
      "https://evil.example/hooks.slack.com/services/T/B/x",
      "https://user@hooks.slack.com/services/T/B/x",
      "https://hooks.slack.com@evil.example/services/T/B/x",
      "https://evil.example\\@hooks.slack.com/services/T/B/x",
      "https://hooks.slack.com\\@evil.example/services/T/B/x",
      "https://hooks.slack.com:8443/services/T/B/x",
      "https://hooks.slack.com/api/chat.postMessage",
      "https://hooks.slack.com/services/../api/x",
      "https://hooks.slack.com/services/%2e%2e/x",
      "https://HOOKS.SLACK.COM/services/T/B/x",
      "https://hooks.slack.com/services/T/B/x?redirect=https://evil.example",
      "https://hooks.slack.com/services/T/B/x#frag",
      "ftp://hooks.slack.com/services/T/B/x",
      "javascript:alert(1)//hooks.slack.com/services/",
      "https://hooks.slack.com./services/T/B/x",
      " https://hooks.slack.com/services/T/B/x",
      "https://hooks.slack.com/services/",
    ];
    for (const url of hostile) {
      const res = await put(w, { webhook_url: url });
      expect(res.status, url).toBe(400);
      expect(code(res), url).toBe("invalid_webhook_url");
    }
    expect((await t.call("GET", `${w.base}/integrations/slack`, { token: w.token })).status).toBe(404);
    expect((await put(w, { webhook_url: "https://hooks.slack.com/services/T000/B000/XXXX" })).status).toBe(200);
  });

  it("channels: default #general, up to 20, names checked, a webhook has at most one", async () => {
    const w = await t.workspace();
    const first = await put(w, { bot_token: "xoxb-abc-1234" });
    expect(first.body).toMatchObject({
      channels: [{ name: "#general", conditions: [] }],
      enabled: true,
      conditions: [],
    });
    const many = Array.from({ length: 21 }, (_, i) => `#c-${i}`);
    expect(code(await put(w, { channels: many }))).toBe("too_many_channels");
    expect((await put(w, { channels: many.slice(0, 20) })).status).toBe(200);
    for (const bad of ["general", "#General", "#with space", `#${"a".repeat(81)}`, "#a<b>"]) {
      expect(code(await put(w, { channel: bad })), bad).toBe("invalid_channel");
    }
    expect((await put(w, { channel: "C0123456789" })).status).toBe(200);
    expect(code(await put(w, { webhook_url: "https://hooks.slack.com/services/T/B/x", channels: ["#a", "#b"] }))).toBe(
      "too_many_channels",
    );
    // switching to a webhook while three channels are stored is refused too
    await put(w, { channels: ["#a", "#b", "#c"] });
    expect(code(await put(w, { webhook_url: "https://hooks.slack.com/services/T/B/x" }))).toBe("too_many_channels");
  });

  it("a later PUT changes only what it carries; the view never shows the secret", async () => {
    const w = await t.workspace();
    const secret = "xoxb-1111-2222-abcdSECRETa1b2";
    const created = await put(w, {
      bot_token: secret,
      channels: ["#upgrades", { name: "#prod-alerts", conditions: [{ key: "env", operator: "In", values: ["prod"] }] }],
      conditions: [{ key: "severity", operator: "NotIn", values: ["low"] }],
    });
    expect(created.status).toBe(200);
    expect(created.text).not.toContain("SECRET");
    expect(created.body).toMatchObject({
      workspace_id: w.ws,
      connected: true,
      method: "bot_token",
      credential_hint: "…a1b2",
      enabled: true,
    });
    const disabled = await put(w, { enabled: false });
    expect(disabled.body).toMatchObject({ method: "bot_token", credential_hint: "…a1b2", enabled: false });
    expect((disabled.body.channels as unknown[]).length).toBe(2);
    expect(disabled.body.conditions).toEqual([{ key: "severity", operator: "NotIn", values: ["low"] }]);
    const swapped = await put(w, { user_token: "xoxp-9999-zz99", channels: ["#one"] });
    expect(swapped.body).toMatchObject({
      method: "user_token",
      credential_hint: "…zz99",
      enabled: false,
      channels: [{ name: "#one", conditions: [] }],
    });
    const got = await t.call("GET", `${w.base}/integrations/slack`, { token: w.token });
    expect(got.body).toEqual(swapped.body);
  });

  it("validates conditions", async () => {
    const w = await t.workspace();
    for (const conditions of [
      [{ key: "env", operator: "In" }],
      [{ key: "env", operator: "Exists", values: ["x"] }],
      [{ key: "env", operator: "Like", values: ["x"] }],
      [{ operator: "Exists" }],
    ]) {
      const res = await put(w, { bot_token: "xoxb-1", conditions });
      expect(res.status, JSON.stringify(conditions)).toBe(400);
      expect(code(res)).toBe("validation_error");
      expect((res.body.error as { details: unknown[] }).details.length).toBeGreaterThan(0);
    }
  });

  it("DELETE erases the integration; test then answers 409 not_connected", async () => {
    const w = await t.workspace();
    await put(w, { bot_token: "xoxb-1" });
    expect((await t.call("DELETE", `${w.base}/integrations/slack`, { token: w.token })).status).toBe(204);
    const get = await t.call("GET", `${w.base}/integrations/slack`, { token: w.token });
    expect(get.status).toBe(404);
    expect(code(get)).toBe("not_connected");
    const test = await t.call("POST", `${w.base}/integrations/slack/test`, { token: w.token });
    expect(test.status).toBe(409);
    expect(code(test)).toBe("not_connected");
    expect(code(await put(w, { channel: "#x" }))).toBe("invalid_credentials");
  });
});

describe("test message", () => {
  it("posts a blue 'Medulla test notification' to every channel and records it", async () => {
    const w = await t.workspace();
    await put(w, { bot_token: "xoxb-test-9876", channels: ["#t-one", "#t-two"] });
    t.slack.script("#t-two", { json: { ok: false, error: "not_in_channel" } });
    const res = await t.call<{
      results: { channel: string; status: string; error?: string; notification_id: string }[];
    }>("POST", `${w.base}/integrations/slack/test`, { token: w.token });
    expect(res.status).toBe(200);
    const byChannel = Object.fromEntries(res.body.results.map((r) => [r.channel, r]));
    expect(byChannel["#t-one"]).toMatchObject({ status: "delivered" });
    expect(byChannel["#t-two"]).toMatchObject({ status: "failed", error: "not_in_channel" });
    const post = t.slack.posts("#t-one")[0];
    expect(post?.authorization).toBe("Bearer xoxb-test-9876");
    type Attachment = { color: string; blocks: { type: string; text?: { text: string } }[] };
    const attachment = (post?.body.attachments as Attachment[] | undefined)?.[0];
    expect(attachment?.color).toBe("#36C5F0");
    expect(attachment?.blocks[0]).toMatchObject({ type: "header", text: { text: "Medulla test notification" } });
    const logged = await w.notification(byChannel["#t-one"]?.notification_id as string);
    expect(logged.body).toMatchObject({ type: "test", status: "delivered", attempts: 1, channel: "#t-one" });
  });
});
