import { beforeEach, describe, expect, it } from "vitest";
import type { SlackMessage } from "../../functions/core/block-kit";
import { makeDeliver } from "../../functions/core/delivery";
import { DeliveryError } from "../../functions/core/errors";
import { eventSchema, type UpgradeEvent } from "../../functions/core/events";
import type { IntegrationRecord, NotificationRecord, Posted, SlackSender } from "../../functions/core/ports";
import type { ChannelConfig } from "../../functions/core/settings";
import { applyEvent, renderStatus, threadKeyOf, withMentions } from "../../functions/core/threads";
import { completedEvent, failedEvent, scanEvent, scheduledEvent, startedEvent } from "../fixtures/events";
import { FakeDeliveryStore, RecordingCipher } from "../fixtures/fake-delivery-store";

const opts = { defaultDashboardUrl: "https://d/" };
const parse = (e: unknown) => eventSchema.parse(e);
const inUpgrade = <T extends Record<string, unknown>>(e: T) => ({ ...e, upgrade_id: "upg-42" });
const texts = (m: SlackMessage) => JSON.stringify(m.attachments[0].blocks);

describe("the thread key", () => {
  it("is the upgrade, else the execution, else none", () => {
    expect(threadKeyOf(parse(inUpgrade(scanEvent())))).toBe("upgrade:upg-42");
    expect(threadKeyOf(parse(inUpgrade(startedEvent())))).toBe("upgrade:upg-42");
    expect(threadKeyOf(parse(startedEvent()))).toBe("execution:exec-9");
    expect(threadKeyOf(parse(scanEvent()))).toBeUndefined();
  });
});

describe("the status message", () => {
  it("tells the upgrade so far: status, last step, latest risk, duration, replies", () => {
    let state = applyEvent(undefined, parse(scanEvent({}, { risk_score: 85 })), opts);
    let m = renderStatus(state);
    expect(m.attachments[0].blocks[0]).toEqual({
      type: "header",
      text: { type: "plain_text", text: "Upgrade prod-eu-1: 1.29 → 1.30" },
    });
    expect(m.attachments[0].color).toBe("#E01E5A");
    expect(texts(m)).toContain("*Status*\\nScanned");
    expect(texts(m)).toContain("85 / 100 (CRITICAL)");
    expect(texts(m)).toContain("1 update in this thread");
    expect(m.text).toBe("Upgrade of prod-eu-1 1.29 → 1.30: Scanned");

    state = applyEvent(state, parse(scheduledEvent(40)), opts);
    state = applyEvent(state, parse(startedEvent()), opts);
    m = renderStatus(state);
    expect(texts(m)).toContain("*Status*\\nIn progress");
    expect(texts(m)).toContain("40 / 100 (MEDIUM)");
    expect(texts(m)).toContain("Execution started");
    expect(m.attachments[0].color).toBe("#36C5F0");

    state = applyEvent(state, parse(completedEvent()), opts);
    m = renderStatus(state);
    expect(texts(m)).toContain("*Status*\\nCompleted");
    expect(texts(m)).toContain("*Duration*\\n22m 5s");
    expect(texts(m)).toContain("4 updates in this thread");
    expect(m.attachments[0].color).toBe("#2EB67D");
    const blocks = m.attachments[0].blocks;
    // Laid out as every message is (contract section 3).
    expect(blocks.map((b) => b.type)).toEqual(["header", "section", "divider", "actions", "context"]);
    expect(blocks.find((b) => b.type === "actions")).toMatchObject({
      elements: [{ text: { text: "View in Dashboard" }, url: "https://app.example.com/clusters/c-123/upgrades/42" }],
    });
  });

  it("escapes the cluster name and never pings", () => {
    const e = parse({ ...startedEvent(), cluster: { name: "<!channel> & co" } });
    const m = renderStatus(applyEvent(undefined, e, opts));
    expect(m.text).toContain("&lt;!channel&gt; &amp; co");
    expect(m.text).not.toContain("<!channel>");
  });
});

describe("mentions", () => {
  const channel: ChannelConfig = {
    name: "#prod",
    conditions: [],
    mentions: ["S0123ABCD", "U0456EFGH", "W0789", "here", "channel"],
    mention_on: ["critical"],
  };
  it("go first in the top-level text when the severity calls for them, which the attachment's fallback repeats", () => {
    const failed = parse(failedEvent());
    const base = { text: "x", attachments: [{ color: "", fallback: "x", blocks: [] }] } as SlackMessage;
    const m = withMentions(base, channel, failed);
    expect(m.text).toBe("<!subteam^S0123ABCD> <@U0456EFGH> <@W0789> <!here> <!channel> x");
    expect(m.attachments[0].fallback).toBe(m.text);
    expect(m.attachments[0].blocks).toEqual([]);
    expect(withMentions(base, channel, parse(startedEvent())).text).toBe("x");
    expect(withMentions(base, { ...channel, mention_on: ["info"] }, parse(startedEvent())).text).toContain("<!here>");
  });
});

/** A Slack that keeps messages like the real one: ts per post, a channel id, updates by id and ts. */
class ThreadSlack implements SlackSender {
  calls: { kind: "post" | "reply" | "update"; ts: string; threadTs?: string; broadcast?: boolean; text: string }[] = [];
  private n = 0;
  failures: (DeliveryError | undefined)[] = [];
  updateFailures: (DeliveryError | undefined)[] = [];
  async post(
    target: { channel: string },
    message: SlackMessage,
    o: { threadTs?: string; broadcast?: boolean } = {},
  ): Promise<Posted> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    const ts = `100.${String(++this.n).padStart(6, "0")}`;
    this.calls.push({
      kind: o.threadTs ? "reply" : "post",
      ts,
      ...(o.threadTs ? { threadTs: o.threadTs } : {}),
      ...(o.broadcast ? { broadcast: true } : {}),
      text: message.text,
    });
    return { channel_id: `C_${target.channel.slice(1).toUpperCase()}`, ts };
  }
  async update(target: { channelId: string; ts: string }, message: SlackMessage) {
    const failure = this.updateFailures.shift();
    if (failure) throw failure;
    expect(target.channelId).toBe("C_A");
    this.calls.push({ kind: "update", ts: target.ts, text: message.text });
  }
}

const integration: IntegrationRecord = {
  workspace_id: "ws_1",
  method: "bot_token",
  channels: [{ name: "#a", conditions: [], mentions: ["U0456EFGH"], mention_on: ["critical"] }],
  enabled: true,
  threads: true,
  conditions: [],
  credential: { v: 2, key_id: "k", wrapped_key: "", iv: "", tag: "", ciphertext: "" },
  credential_hint: "…CRET",
  connection_id: "conn_1",
  created_at: "t",
  updated_at: "t",
};

let store: FakeDeliveryStore;
let slack: ThreadSlack;
let clock: number;
const INTERVAL = 1000;

function deliverer() {
  return makeDeliver({
    store,
    cipher: new RecordingCipher("xoxb-1"),
    sender: slack,
    sleep: async (ms) => {
      clock += ms;
    },
    now: () => clock,
    channelIntervalMs: INTERVAL,
    postTimeoutMs: 10_000,
    defaultDashboardUrl: "https://d/",
    deadLetter: async () => {},
  });
}

let seq = 0;
function accept(event: UpgradeEvent): string {
  const id = `n${++seq}`;
  store.events.set(event.event_id, {
    workspace_id: "ws_1",
    event_id: event.event_id,
    payload_hash: "h",
    event,
    response: { event_id: event.event_id, notifications: [] },
    created_at: "t",
  });
  const n: NotificationRecord = {
    workspace_id: "ws_1",
    id,
    event_id: event.event_id,
    type: event.type,
    channel: "#a",
    status: "pending",
    attempts: 0,
    created_at: "t",
    updated_at: "t",
    connection_id: "conn_1",
    dispatch_id: id,
  };
  store.notifications.set(id, n);
  return id;
}

/** Plays the queue: visits a message until it is finished, letting the clock run through each wait it asks for. */
async function drain(id: string) {
  const deliver = deliverer();
  const results = [];
  for (let i = 0; i < 20; i++) {
    const r = await deliver({ workspace_id: "ws_1", notification_id: id }, () => 60_000);
    results.push(r);
    if (r.status === "requeue") clock += r.delayMs;
    else if ("followUpMs" in r) clock += r.followUpMs;
    else break;
  }
  return results;
}

beforeEach(() => {
  store = new FakeDeliveryStore();
  store.integration = integration;
  slack = new ThreadSlack();
  clock = 1_000_000;
});

describe("delivering an upgrade as one thread", () => {
  it("five events: one status post, five replies, four updates, the interval between every two calls", async () => {
    const at: number[] = [];
    const record = slack.post.bind(slack);
    slack.post = async (...args) => {
      at.push(clock);
      return record(...args);
    };
    const update = slack.update.bind(slack);
    slack.update = async (...args) => {
      at.push(clock);
      return update(...args);
    };
    const events = [scanEvent(), scheduledEvent(), startedEvent(), completedEvent(), scanEvent()].map((e) =>
      parse(inUpgrade(e)),
    );
    for (const e of events) await drain(accept(e));
    expect(slack.calls.map((c) => c.kind)).toEqual([
      "post",
      "reply",
      "reply",
      "update",
      "reply",
      "update",
      "reply",
      "update",
      "reply",
      "update",
    ]);
    const parent = slack.calls[0]?.ts;
    expect(slack.calls.filter((c) => c.kind !== "post").every((c) => (c.threadTs ?? c.ts) === parent)).toBe(true);
    for (let i = 1; i < at.length; i++)
      expect((at[i] as number) - (at[i - 1] as number)).toBeGreaterThanOrEqual(INTERVAL);
    const n1 = store.notifications.get("n1") as NotificationRecord;
    expect(n1).toMatchObject({ status: "delivered", thread_ts: parent, slack_ts: slack.calls[1]?.ts, attempts: 1 });
    expect(n1.thread_update).toBeUndefined();
    const thread = await store.getThread("ws_1", "#a", "upgrade:upg-42");
    expect(thread).toMatchObject({ channel_id: "C_A", ts: parent, seq: 5, shown_seq: 5 });
    expect(thread?.state.replies).toBe(5);
    // The first status message already counted its own reply; the last update says five.
    expect(slack.calls.at(-1)?.text).toContain("Scanned");
  });

  it("broadcasts failures and critical steps, and pings only in the reply", async () => {
    await drain(accept(parse(inUpgrade(startedEvent()))));
    await drain(accept(parse(inUpgrade(failedEvent()))));
    const [status, started, failed] = slack.calls;
    expect(status?.text).not.toContain("<@");
    expect(started?.broadcast).toBeUndefined();
    expect(failed).toMatchObject({ kind: "reply", broadcast: true });
    expect(failed?.text.startsWith("<@U0456EFGH> ")).toBe(true);
    expect(slack.calls.filter((c) => c.text.includes("<@U0456EFGH>"))).toHaveLength(1);
  });

  it("retries the update on its own and never posts the reply again; a permanent failure is thread_error", async () => {
    await drain(accept(parse(inUpgrade(startedEvent()))));
    slack.updateFailures = [new DeliveryError("http_503", true)];
    const second = accept(parse(inUpgrade(completedEvent())));
    const results = await drain(second);
    expect(slack.calls.map((c) => c.kind)).toEqual(["post", "reply", "reply", "update"]);
    expect(results.filter((r) => r.status === "delivered")).toEqual([
      { status: "delivered", attempts: 1, followUpMs: INTERVAL },
    ]);
    expect(store.notifications.get(second)).toMatchObject({ status: "delivered", update_attempts: 2 });

    slack.updateFailures = [new DeliveryError("not_authed", false)];
    const third = accept(parse(inUpgrade(failedEvent())));
    await drain(third);
    expect(slack.calls.filter((c) => c.kind === "reply")).toHaveLength(3);
    expect(store.notifications.get(third)).toMatchObject({ status: "delivered", thread_error: "not_authed" });
  });

  it("starts the thread again when its status message is gone, and posts the refused reply there", async () => {
    await drain(accept(parse(inUpgrade(startedEvent()))));
    slack.failures = [new DeliveryError("thread_not_found", false)];
    const second = accept(parse(inUpgrade(completedEvent())));
    await drain(second);
    const kinds = slack.calls.map((c) => c.kind);
    expect(kinds).toEqual(["post", "reply", "post", "reply"]);
    const newParent = slack.calls[2]?.ts;
    expect(slack.calls[3]?.threadTs).toBe(newParent);
    expect(store.notifications.get(second)).toMatchObject({ status: "delivered", thread_ts: newParent, attempts: 1 });
    expect((await store.getThread("ws_1", "#a", "upgrade:upg-42"))?.ts).toBe(newParent);
  });

  it("starts the thread again when the first event's own reply is refused, once: refused again, it fails", async () => {
    // The status message posts; its reply finds the thread gone (deleted at once): a new status message, the reply there.
    slack.failures = [undefined as unknown as DeliveryError, new DeliveryError("thread_not_found", false)];
    const first = accept(parse(inUpgrade(startedEvent())));
    await drain(first);
    expect(slack.calls.map((c) => c.kind)).toEqual(["post", "post", "reply"]);
    const newParent = slack.calls[1]?.ts;
    expect(slack.calls[2]?.threadTs).toBe(newParent);
    expect(store.notifications.get(first)).toMatchObject({ status: "delivered", thread_ts: newParent });
    expect((await store.getThread("ws_1", "#a", "upgrade:upg-42"))?.ts).toBe(newParent);

    // Another upgrade whose new thread is refused as well: one restart per notification, then it fails (no loop).
    slack.calls = [];
    slack.failures = [
      undefined as unknown as DeliveryError,
      new DeliveryError("invalid_thread_ts", false),
      undefined as unknown as DeliveryError,
      new DeliveryError("invalid_thread_ts", false),
    ];
    const other = accept(parse({ ...startedEvent(), event_id: "evt-other", upgrade_id: "upg-43" }));
    await drain(other);
    expect(slack.calls.map((c) => c.kind)).toEqual(["post", "post"]);
    expect(store.notifications.get(other)).toMatchObject({ status: "failed", error: "invalid_thread_ts" });

    // Retried (a new dispatch, as the retry route makes): it may start the thread again once more.
    slack.calls = [];
    slack.failures = [new DeliveryError("thread_not_found", false)];
    const failed = store.notifications.get(other) as NotificationRecord;
    store.notifications.set(other, {
      ...failed,
      status: "pending",
      attempts: 0,
      outcomes: 0,
      error: undefined,
      dispatch_id: `${other}.retry`,
    });
    await drain(other);
    expect(slack.calls.map((c) => c.kind)).toEqual(["post", "reply"]);
    expect(store.notifications.get(other)).toMatchObject({ status: "delivered", thread_ts: slack.calls[0]?.ts });
  });

  it("a notification that opened the thread and is then refused (disconnected) leaves the status message's count", async () => {
    // The status message posts and counts the first reply; the reply waits for a retry, and Slack is disconnected.
    slack.failures = [undefined as unknown as DeliveryError, new DeliveryError("http_503", true)];
    const first = accept(parse(inUpgrade(scanEvent())));
    const deliver = deliverer();
    expect((await deliver({ workspace_id: "ws_1", notification_id: first }, () => 60_000)).status).toBe("requeue");
    expect((await store.getThread("ws_1", "#a", "upgrade:upg-42"))?.state.replies).toBe(1);
    store.integration = { ...integration, connection_id: "conn_gone" };
    clock += 5_000;
    await deliver({ workspace_id: "ws_1", notification_id: first }, () => 60_000);
    expect(store.notifications.get(first)).toMatchObject({ status: "failed", error: "not_connected" });
    expect((await store.getThread("ws_1", "#a", "upgrade:upg-42"))?.state.replies).toBe(0);
    // Reconnected, the next event's reply is the thread's first, and the update says so.
    store.integration = integration;
    const next = accept(parse(inUpgrade(scheduledEvent())));
    await drain(next);
    expect(slack.calls.map((c) => c.kind)).toEqual(["post", "reply", "update"]);
    expect((await store.getThread("ws_1", "#a", "upgrade:upg-42"))?.state.replies).toBe(1);
  });

  it("counts only replies posted, and a retried older step adds its reply without moving the status back", async () => {
    // The first event's status message is posted, its reply fails for good: the thread holds no reply.
    slack.failures = [
      undefined as unknown as DeliveryError,
      ...[1, 2, 3].map(() => new DeliveryError("http_503", true)),
    ];
    const scan = accept(parse(inUpgrade(scanEvent())));
    await drain(scan);
    expect(store.notifications.get(scan)).toMatchObject({ status: "failed", error: "http_503" });
    await drain(accept(parse(inUpgrade(startedEvent()))));
    const thread = await store.getThread("ws_1", "#a", "upgrade:upg-42");
    expect(thread?.state).toMatchObject({ replies: 1, status: "In progress" });
    expect(slack.calls.map((c) => c.kind)).toEqual(["post", "reply", "update"]);
    expect(JSON.stringify(renderStatus(thread!.state))).toContain("1 update in this thread");

    // Retried (failed → pending with a fresh budget, as the retry route does): its reply joins the thread; the
    // status stays on the later step it already showed.
    const failed = store.notifications.get(scan) as NotificationRecord;
    store.notifications.set(scan, { ...failed, status: "pending", attempts: 0, outcomes: 0, error: undefined });
    await drain(scan);
    expect(slack.calls.map((c) => c.kind)).toEqual(["post", "reply", "update", "reply", "update"]);
    expect(slack.calls.at(-1)?.text).toContain("In progress");
    const after = await store.getThread("ws_1", "#a", "upgrade:upg-42");
    expect(after?.state).toMatchObject({ replies: 2, status: "In progress", last_type: "execution_started" });
    expect(store.notifications.get(scan)).toMatchObject({ status: "delivered" });
  });

  it("posts a new status message when the old one can no longer be edited", async () => {
    await drain(accept(parse(inUpgrade(startedEvent()))));
    slack.updateFailures = [new DeliveryError("cant_update_message", false)];
    await drain(accept(parse(inUpgrade(completedEvent()))));
    expect(slack.calls.map((c) => c.kind)).toEqual(["post", "reply", "reply", "post"]);
    const thread = await store.getThread("ws_1", "#a", "upgrade:upg-42");
    expect(thread?.ts).toBe(slack.calls[3]?.ts);
    expect(thread?.gone).toBeUndefined();
    await drain(accept(parse(inUpgrade(failedEvent()))));
    expect(slack.calls.at(-2)).toMatchObject({ kind: "reply", threadTs: thread?.ts });
    expect(slack.calls.at(-1)).toMatchObject({ kind: "update", ts: thread?.ts });
  });

  it("resumes after the last recorded step: a redelivered message posts nothing twice", async () => {
    const id = accept(parse(inUpgrade(startedEvent())));
    const deliver = deliverer();
    const first = await deliver({ workspace_id: "ws_1", notification_id: id }, () => 60_000);
    expect(first).toMatchObject({ status: "requeue", reason: "paced" });
    expect(store.notifications.get(id)).toMatchObject({ status: "pending", attempts: 0 });
    clock += INTERVAL;
    // The same message again (as after a crash): the status message is recorded, so only the reply is posted.
    await drain(id);
    await drain(id);
    expect(slack.calls.map((c) => c.kind)).toEqual(["post", "reply"]);
  });

  it("without a ts in Slack's answer there is nothing to reply to: each step is posted on its own, nothing lost", async () => {
    const post = slack.post.bind(slack);
    slack.post = async (...args) => {
      await post(...args);
      return {};
    };
    const first = accept(parse(inUpgrade(startedEvent())));
    await drain(first);
    await drain(accept(parse(inUpgrade(completedEvent()))));
    expect(slack.calls.map((c) => c.kind)).toEqual(["post", "post", "post"]);
    expect(slack.calls.map((c) => c.text)).toEqual([
      expect.stringContaining("In progress"),
      expect.stringContaining("Upgrade started"),
      expect.stringContaining("Upgrade completed"),
    ]);
    expect(store.notifications.get(first)).toMatchObject({ status: "delivered", attempts: 1 });
  });

  it("does not thread webhooks, the test message, events without a key, or when threads are off", async () => {
    await drain(accept(parse(scanEvent())));
    store.integration = { ...integration, threads: false };
    await drain(accept(parse(inUpgrade(startedEvent()))));
    expect(slack.calls.map((c) => c.kind)).toEqual(["post", "post"]);
  });
});

describe("channel health in a thread", () => {
  it("follows the replies only: the status message and its updates (even a thread_error) leave it alone", async () => {
    await drain(accept(parse(inUpgrade(startedEvent()))));
    slack.updateFailures = [new DeliveryError("not_authed", false)];
    await drain(accept(parse(inUpgrade(completedEvent()))));
    expect(store.outcomes.get("#a")?.map((o) => [o.status, o.connection_id])).toEqual([
      ["delivered", "conn_1"],
      ["delivered", "conn_1"],
    ]);
  });
});
