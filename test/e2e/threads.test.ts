/**
 * Upgrade threads (contract section 5) through the local stack: the API, DynamoDB Local, the SQS emulator, the
 * delivery handler and a fake Slack that keeps messages, threads and updates like Slack does.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { completedEvent, failedEvent, scanEvent, scheduledEvent, startedEvent } from "../fixtures/events";
import { startTestStack, type TestStack } from "../fixtures/test-stack";

const INTERVAL = 300;
let t: TestStack;
beforeAll(async () => {
  t = await startTestStack({ channelIntervalMs: INTERVAL });
});
afterAll(async () => {
  await t.stop();
});

let n = 0;
const upgradeOf = (e: Record<string, unknown>, upgrade: string, cluster: string) => ({
  ...e,
  upgrade_id: upgrade,
  cluster: { name: cluster },
});

/** Waits until the fake Slack has seen `count` calls (posts and updates) for a channel. */
async function callsFor(channel: string, count: number) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const calls = t.slack.requests.filter(
      (r) => t.slack.posts(channel).includes(r) || t.slack.updates(channel).includes(r),
    );
    if (calls.length >= count) return calls;
    if (Date.now() > deadline) throw new Error(`${calls.length} of ${count} Slack calls for ${channel}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("an upgrade as one Slack thread", () => {
  it("four events: one status message updated in place, four replies, paced", async () => {
    const w = await t.workspace();
    const channel = `#thread-${++n}`;
    await w.connect({
      bot_token: "xoxb-thread-1",
      channels: [{ name: channel, mentions: ["U0456EFGH"], mention_on: ["critical"] }],
    });
    const ids: string[] = [];
    const failed = upgradeOf({ ...failedEvent(), occurred_at: "2026-11-20T10:05:00Z" }, "upg-e2e-1", "prod-eu-1");
    for (const e of [scanEvent({}, { risk_score: 20 }), scheduledEvent(30), startedEvent(), failed]) {
      const res = await w.post(upgradeOf(e, "upg-e2e-1", "prod-eu-1"));
      expect(res.status).toBe(202);
      ids.push(res.body.notifications[0]?.id as string);
    }
    const calls = await callsFor(channel, 8);
    // One status post, four replies, three updates; the update for the last step last.
    const kinds = calls.map((c) => (c.path.endsWith("chat.update") ? "update" : c.body.thread_ts ? "reply" : "status"));
    expect(kinds).toEqual(["status", "reply", "reply", "update", "reply", "update", "reply", "update"]);
    for (let i = 1; i < calls.length; i++)
      expect((calls[i]?.at as number) - (calls[i - 1]?.at as number)).toBeGreaterThanOrEqual(INTERVAL - 5);

    const channelId = t.slack.channels.get(channel)?.id;
    const parent = t.slack.channels.get(channel)?.messages.find((m) => !m.thread_ts);
    for (const update of calls.filter((c) => c.path.endsWith("chat.update"))) {
      expect(update.body).toMatchObject({ channel: channelId, ts: parent?.ts });
      expect(update.authorization).toBe("Bearer xoxb-thread-1");
    }
    // Failures are broadcast to the channel, and the mention goes in that reply's text only.
    const replies = calls.filter((c) => c.body.thread_ts);
    expect(replies.map((r) => r.body.reply_broadcast ?? false)).toEqual([false, false, false, true]);
    expect(calls.filter((c) => String(c.body.text).includes("<@U0456EFGH>"))).toEqual([replies[3]]);

    expect(t.slack.transcript(channel)).toEqual([
      "Upgrade prod-eu-1: 1.29 → 1.30 [Failed] (edited 3×)",
      expect.stringMatching(/^ {4}↳ .*Upgrade scan completed: prod-eu-1$/),
      expect.stringMatching(/^ {4}↳ .*Upgrade scheduled: prod-eu-1$/),
      expect.stringMatching(/^ {4}↳ .*Upgrade started: prod-eu-1$/),
      expect.stringMatching(/^ {4}↳ .*Upgrade failed: prod-eu-1 \(also sent to the channel\)$/),
    ]);
    const replyTs = t.slack.channels
      .get(channel)
      ?.messages.filter((m) => m.thread_ts)
      .map((m) => m.ts);
    for (const [i, id] of ids.entries()) {
      const got = await w.settled(id);
      expect(got).toMatchObject({ status: "delivered", thread_ts: parent?.ts, slack_ts: replyTs?.[i] });
      expect(got.thread_error).toBeUndefined();
    }
    // The preview of the failed step, now that its thread exists, is exactly the reply Slack got for it.
    const preview = await t.call<{ messages: { channel: string; payload: Record<string, unknown> }[] }>(
      "POST",
      `${w.base}/events/preview`,
      { token: w.token, body: failed },
    );
    expect(preview.status).toBe(200);
    expect(preview.body.messages[0]?.payload).toEqual(replies[3]?.body);
    expect(preview.body.messages[0]?.payload).toMatchObject({ thread_ts: parent?.ts, reply_broadcast: true });
  });

  it("a failed status update is thread_error on a delivered notification; the reply is not posted again", async () => {
    const w = await t.workspace();
    const channel = `#thread-${++n}`;
    await w.connect({ bot_token: "xoxb-thread-2", channel });
    const first = await w.post(upgradeOf(startedEvent(), "upg-e2e-2", "c2"));
    await w.settled(first.body.notifications[0]?.id as string);
    await callsFor(channel, 2);
    // Once the second reply is in, the status message's update is refused for good.
    t.slack.onRequest = (r) => {
      if (r.body.thread_ts && String(r.body.text).includes("completed")) {
        t.slack.script(channel, { json: { ok: false, error: "not_authed" } });
        t.slack.onRequest = undefined;
      }
    };
    const second = await w.post(upgradeOf(completedEvent(), "upg-e2e-2", "c2"));
    const id = second.body.notifications[0]?.id as string;
    const deadline = Date.now() + 15_000;
    let got = await w.settled(id);
    const deliveredAt = got.updated_at as string;
    while (got.thread_error === undefined && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      got = (await w.notification(id)).body;
    }
    expect(got).toMatchObject({ status: "delivered", thread_error: "not_authed", attempts: 1 });
    // Recording the thread_error changed the record, so it moved updated_at.
    expect((got.updated_at as string) > deliveredAt).toBe(true);
    // Status message, two replies: the refused update posted nothing again.
    expect(t.slack.posts(channel)).toHaveLength(3);
    expect(t.slack.updates(channel)).toHaveLength(1);
  });

  it("the test message takes its turn in the channel's order and pace, and never threads", async () => {
    const w = await t.workspace();
    const channel = `#thread-${++n}`;
    await w.connect({ bot_token: "xoxb-thread-test", channels: [channel] });
    expect((await w.post(upgradeOf(startedEvent(), "upg-e2e-test", "prod-eu-9"))).status).toBe(202);
    // Sent at once, behind the event's two posts: each waits its turn, and the route answers when it is made.
    for (let i = 0; i < 2; i++) {
      const res = await t.call("POST", `${w.base}/integrations/slack/test`, { token: w.token });
      expect((res.body as { results: { status: string }[] }).results).toMatchObject([{ status: "delivered" }]);
    }
    const calls = await callsFor(channel, 4);
    const kinds = calls.map((c) =>
      c.body.thread_ts ? "reply" : String(c.body.text).includes("test notification") ? "test" : "status",
    );
    expect(kinds).toEqual(["status", "reply", "test", "test"]);
    for (let i = 1; i < calls.length; i++)
      expect((calls[i]?.at as number) - (calls[i - 1]?.at as number)).toBeGreaterThanOrEqual(INTERVAL - 5);
  });

  it("webhooks and threads:false post every event on its own, as before", async () => {
    const w = await t.workspace();
    await w.connect({ webhook_url: "https://hooks.slack.com/services/T1/B1/thread", threads: true });
    const view = await t.call("GET", `${w.base}/integrations/slack`, { token: w.token });
    expect(view.body.threads).toBe(false);
    const off = await t.workspace();
    const channel = `#thread-${++n}`;
    await off.connect({ bot_token: "xoxb-thread-3", channel, threads: false });
    for (const e of [startedEvent(), completedEvent()]) {
      await w.post(upgradeOf(e, "upg-e2e-3", "c3"));
      const res = await off.post(upgradeOf(e, "upg-e2e-3", "c3"));
      await off.settled(res.body.notifications[0]?.id as string);
    }
    const hook = await callsFor("/services/T1/B1/thread", 2);
    expect(hook.every((r) => r.body.thread_ts === undefined)).toBe(true);
    const own = await callsFor(channel, 2);
    expect(own.map((r) => r.body.thread_ts)).toEqual([undefined, undefined]);
    expect(t.slack.updates(channel)).toEqual([]);
  });
});
