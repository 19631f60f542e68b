import { beforeEach, describe, expect, it } from "vitest";
import { notificationView } from "../../functions/api/views";
import { makeDeliver } from "../../functions/core/delivery";
import { UNCERTAIN_HINT } from "../../functions/core/hints";
import { DeliveryError } from "../../functions/core/errors";
import { classifyHttp } from "../../functions/core/retry-policy";
import { eventSchema } from "../../functions/core/events";
import type { IntegrationRecord, NotificationRecord, SlackSender } from "../../functions/core/ports";
import { startedEvent } from "../fixtures/events";
import { FakeDeliveryStore, RecordingCipher } from "../fixtures/fake-delivery-store";

const SECRET = "xoxb-unit-SECRET";
const integration: IntegrationRecord = {
  workspace_id: "ws_1",
  method: "bot_token",
  channels: [{ name: "#a", conditions: [], mentions: [], mention_on: ["critical"] }],
  enabled: true,
  threads: false,
  conditions: [],
  credential: { v: 1, key_id: "k", wrapped_key: "", iv: "", tag: "", ciphertext: "" },
  credential_hint: "…CRET",
  connection_id: "conn_1",
  created_at: "t",
  updated_at: "t",
};
const pending = (id: string, attempts = 0): NotificationRecord => ({
  workspace_id: "ws_1",
  id,
  event_id: "evt-1",
  type: "execution_started",
  channel: "#a",
  status: "pending",
  attempts,
  created_at: "t",
  updated_at: "t",
  connection_id: "conn_1",
  dispatch_id: id,
});

/** A scripted sender: each post takes the next answer (an error to throw, or undefined for success). */
class ScriptedSender implements SlackSender {
  calls: { secret: string; channel: string }[] = [];
  constructor(private readonly answers: (DeliveryError | undefined)[] = []) {}
  async post(target: { secret: string; channel: string }) {
    this.calls.push({ secret: target.secret, channel: target.channel });
    const answer = this.answers.shift();
    if (answer) throw answer;
    return {};
  }
  async update(): Promise<void> {
    throw new Error("no thread in these tests");
  }
}

let store: FakeDeliveryStore;
let cipher: RecordingCipher;
let sleeps: number[];
let clock: number;
let deadLetters: unknown[];

/**
 * The delivery as the queue drives it: a message handed back comes back once its delay is over, so the clock moves
 * on by that much after a requeue (a test that redelivers early moves it back itself).
 */
function setup(sender: SlackSender, intervalMs = 0): ReturnType<typeof makeDeliver> {
  const deliver = makeDeliverWith(sender, intervalMs);
  return async (...args) => {
    const result = await deliver(...args);
    if (result.status === "requeue") clock += result.delayMs;
    return result;
  };
}

function makeDeliverWith(sender: SlackSender, intervalMs: number) {
  return makeDeliver({
    store,
    cipher,
    sender,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    now: () => clock,
    channelIntervalMs: intervalMs,
    postTimeoutMs: 10_000,
    defaultDashboardUrl: "https://d/",
    deadLetter: async (entry) => {
      deadLetters.push(entry);
    },
  });
}
const ref = (id: string) => ({ workspace_id: "ws_1", notification_id: id });
const plenty = () => 60_000;

beforeEach(() => {
  store = new FakeDeliveryStore();
  store.integration = integration;
  store.events.set("evt-1", {
    workspace_id: "ws_1",
    event_id: "evt-1",
    payload_hash: "h",
    event: eventSchema.parse(startedEvent()),
    response: { event_id: "evt-1", notifications: [] },
    created_at: "t",
  });
  cipher = new RecordingCipher(SECRET);
  sleeps = [];
  clock = 1_000_000;
  deadLetters = [];
});

describe("delivering one notification", () => {
  it("posts once, marks delivered, zeroes the credential", async () => {
    store.notifications.set("n1", pending("n1"));
    const sender = new ScriptedSender();
    expect(await setup(sender)(ref("n1"), plenty)).toEqual({ status: "delivered", attempts: 1 });
    expect(sender.calls).toEqual([{ secret: SECRET, channel: "#a" }]);
    expect(store.notifications.get("n1")?.status).toBe("delivered");
    expect(cipher.opened.every((b) => b.every((byte) => byte === 0))).toBe(true);
  });

  it("opens the credential bound to the workspace it was looked up under, not the one stored in the item", async () => {
    store.integration = { ...integration, workspace_id: "ws_victim" };
    store.notifications.set("n1", pending("n1"));
    await setup(new ScriptedSender())(ref("n1"), plenty);
    expect(cipher.bindings).toEqual([{ workspace_id: "ws_1", method: "bot_token", connection_id: "conn_1" }]);
  });

  it("never posts a delivered notification again (redelivery)", async () => {
    store.notifications.set("n1", { ...pending("n1"), status: "delivered" });
    const sender = new ScriptedSender();
    expect((await setup(sender)(ref("n1"), plenty)).status).toBe("skipped");
    expect(sender.calls).toHaveLength(0);
  });

  it("retries a workspace over Slack's message limit after at least 60 s each time, then dead-letters", async () => {
    store.notifications.set("n1", pending("n1"));
    const over = () => classifyHttp(200, "message_limit_exceeded") as DeliveryError;
    const deliver = setup(new ScriptedSender([over(), over(), over()]));
    for (const attempts of [1, 2]) {
      expect(await deliver(ref("n1"), plenty)).toEqual({
        status: "requeue",
        delayMs: 60_000,
        reason: "retry_wait",
        error: "message_limit_exceeded",
      });
      expect(store.notifications.get("n1")).toMatchObject({ status: "pending", attempts });
    }
    expect(await deliver(ref("n1"), plenty)).toMatchObject({ status: "failed", error: "message_limit_exceeded" });
    expect(deadLetters).toHaveLength(1);
  });

  it("retries retryable failures after 1 s then 2 s, waiting in the queue, then fails and dead-letters", async () => {
    store.notifications.set("n1", pending("n1"));
    const sender = new ScriptedSender([
      new DeliveryError("http_503", true),
      new DeliveryError("network_error", true),
      new DeliveryError("http_502", true),
    ]);
    const deliver = setup(sender);
    // Each backoff is handed to the queue (the message comes back after it), never slept in the worker.
    expect(await deliver(ref("n1"), plenty)).toEqual({
      status: "requeue",
      delayMs: 1000,
      reason: "retry_wait",
      error: "http_503",
    });
    expect(await deliver(ref("n1"), plenty)).toMatchObject({
      status: "requeue",
      delayMs: 2000,
      error: "network_error",
    });
    const result = await deliver(ref("n1"), plenty);
    expect(result).toEqual({ status: "failed", error: "http_502", attempts: 3, exhausted: true });
    expect(sleeps).toEqual([]);
    expect(store.notifications.get("n1")).toMatchObject({ status: "failed", error: "http_502", attempts: 3 });
    expect(deadLetters).toEqual([
      { workspace_id: "ws_1", notification_id: "n1", channel: "#a", error: "http_502", attempts: 3 },
    ]);
    expect(JSON.stringify(deadLetters)).not.toContain("SECRET");
  });

  it("fails at once on a permanent error, without dead-lettering", async () => {
    store.notifications.set("n1", pending("n1"));
    const sender = new ScriptedSender([new DeliveryError("channel_not_found", false)]);
    expect(await setup(sender)(ref("n1"), plenty)).toMatchObject({
      status: "failed",
      error: "channel_not_found",
      attempts: 1,
    });
    expect(sleeps).toEqual([]);
    expect(deadLetters).toEqual([]);
  });

  it("sleeps a Retry-After short enough to wait inline, hands the message back when it is longer", async () => {
    store.notifications.set("n1", pending("n1"));
    const fits = new ScriptedSender([new DeliveryError("rate_limited", true, 150)]);
    expect((await setup(fits)(ref("n1"), plenty)).status).toBe("delivered");
    expect(sleeps).toEqual([150]);

    store.notifications.set("n2", pending("n2"));
    const long = new ScriptedSender([new DeliveryError("rate_limited", true, 120_000)]);
    expect(await setup(long)(ref("n2"), plenty)).toEqual({
      status: "requeue",
      delayMs: 120_000,
      reason: "retry_wait",
      error: "rate_limited",
    });
    expect(store.notifications.get("n2")).toMatchObject({ status: "pending", attempts: 1 });
    // The redelivery continues with attempt 2 of 3.
    expect(await setup(new ScriptedSender())(ref("n2"), plenty)).toEqual({ status: "delivered", attempts: 2 });
  });

  it("counts attempts on the record, so a crash-looping message still stops at three", async () => {
    store.notifications.set("n1", pending("n1", 3));
    const sender = new ScriptedSender();
    expect(await setup(sender)(ref("n1"), plenty)).toMatchObject({ status: "failed", error: "attempts_exhausted" });
    expect(sender.calls).toHaveLength(0);
    expect(deadLetters).toHaveLength(1);
  });

  it("fails with not_connected when the integration is gone or was reconnected", async () => {
    store.notifications.set("n1", pending("n1"));
    store.integration = undefined;
    const sender = new ScriptedSender();
    expect(await setup(sender)(ref("n1"), plenty)).toMatchObject({ status: "failed", error: "not_connected" });
    store.notifications.set("n2", pending("n2"));
    store.integration = { ...integration, connection_id: "conn_2" };
    expect(await setup(sender)(ref("n2"), plenty)).toMatchObject({ status: "failed", error: "not_connected" });
    expect(sender.calls).toHaveLength(0);
  });

  it("keeps the channel interval after the previous post: the rest of it waits in the queue, a last bit inline", async () => {
    store.notifications.set("n1", pending("n1"));
    store.posts.set("#a", clock - 300);
    const sender = new ScriptedSender();
    expect(await setup(sender, 1000)(ref("n1"), plenty)).toEqual({ status: "requeue", delayMs: 700, reason: "paced" });
    expect(sender.calls).toHaveLength(0);
    expect(store.notifications.get("n1")).toMatchObject({ status: "pending", attempts: 0 });
    store.posts.set("#a", clock - 900);
    expect(await setup(sender, 1000)(ref("n1"), plenty)).toEqual({ status: "delivered", attempts: 1 });
    expect(sleeps).toEqual([100]);
  });

  it("reads what it needs in one request and tells the batch once Slack answered, before its writes", async () => {
    store.notifications.set("n1", pending("n1"));
    const order: string[] = [];
    const sender: SlackSender = {
      post: async () => {
        order.push("post");
        return {};
      },
      update: async () => {},
    };
    await setup(sender)(ref("n1"), plenty, {
      afterCall: () => order.push(`afterCall (notification ${store.notifications.get("n1")?.status})`),
    });
    expect(order).toEqual(["post", "afterCall (notification pending)"]);
    expect(store.reads).toBe(1);
  });

  it("tells the batch nothing when it makes no call (paced, or refused)", async () => {
    store.notifications.set("n1", pending("n1"));
    store.posts.set("#a", clock - 100);
    const told: string[] = [];
    const hooks = { afterCall: () => told.push("after") };
    expect(await setup(new ScriptedSender(), 1000)(ref("n1"), plenty, hooks)).toMatchObject({ status: "requeue" });
    store.integration = undefined;
    expect(await setup(new ScriptedSender(), 1000)(ref("n1"), plenty, hooks)).toMatchObject({ status: "failed" });
    expect(told).toEqual([]);
  });

  it("sleeps the last bit of the interval while the attempt is recorded, and posts once both are done", async () => {
    store.notifications.set("n1", pending("n1"));
    store.posts.set("#a", clock - 900);
    const order: string[] = [];
    let releaseSleep = () => {};
    const sender: SlackSender = {
      post: async () => {
        order.push("post");
        return {};
      },
      update: async () => {},
    };
    const startAttempt = store.startAttempt.bind(store);
    let releaseWrite = () => {};
    store.startAttempt = async (...args) => {
      order.push("attempt write sent");
      await new Promise<void>((resolve) => (releaseWrite = resolve));
      order.push("attempt written");
      return startAttempt(...args);
    };
    const deliver = makeDeliver({
      store,
      cipher,
      sender,
      sleep: (ms) =>
        new Promise<void>((resolve) => {
          order.push(`sleep ${ms}`);
          releaseSleep = () => {
            clock += ms;
            order.push("slept");
            resolve();
          };
        }),
      now: () => clock,
      channelIntervalMs: 1000,
      postTimeoutMs: 10_000,
      defaultDashboardUrl: "https://d/",
      deadLetter: async () => {},
    });
    const done = deliver(ref("n1"), plenty);
    await new Promise((r) => setTimeout(r, 10));
    // Both under way at once; the post waits for both.
    expect(order).toEqual(["attempt write sent", "sleep 100"]);
    releaseWrite();
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual(["attempt write sent", "sleep 100", "attempt written"]);
    releaseSleep();
    expect(await done).toEqual({ status: "delivered", attempts: 1 });
    expect(order).toEqual(["attempt write sent", "sleep 100", "attempt written", "slept", "post"]);
  });

  it("a crash between Slack's answer and the record's write: the redelivery says the outcome is uncertain", async () => {
    store.notifications.set("n1", pending("n1"));
    // The first delivery posts, then dies before its outcome is written (as a SIGKILL would).
    const finish = store.finish.bind(store);
    store.finish = async () => {
      throw new Error("killed");
    };
    const first = new ScriptedSender();
    await expect(setup(first)(ref("n1"), plenty)).rejects.toThrow("killed");
    expect(first.calls).toHaveLength(1);
    expect(store.notifications.get("n1")).toMatchObject({ status: "pending", attempts: 1 });
    store.finish = finish;
    // The redelivery fails for good: the notification is failed, and says an earlier attempt may have gone through.
    const second = new ScriptedSender([new DeliveryError("http_503", true), new DeliveryError("http_503", true)]);
    expect((await setup(second)(ref("n1"), plenty)).status).toBe("requeue");
    const result = await setup(second)(ref("n1"), plenty);
    expect(result).toMatchObject({ status: "failed", error: "http_503", attempts: 3 });
    expect(store.notifications.get("n1")).toMatchObject({ status: "failed", uncertain: true, outcomes: 3 });
  });

  it("an attempt that timed out makes the notification uncertain: Slack may have taken the post all the same", async () => {
    store.notifications.set("n1", pending("n1"));
    const sender = new ScriptedSender([new DeliveryError("timeout", true)]);
    expect((await setup(sender)(ref("n1"), plenty)).status).toBe("requeue");
    expect(await setup(sender)(ref("n1"), plenty)).toEqual({ status: "delivered", attempts: 2 });
    expect(store.notifications.get("n1")).toMatchObject({ status: "delivered", uncertain: true });
  });

  it("a retry wait holds when the message comes back early (a restart queued it again without its delay)", async () => {
    store.notifications.set("n1", pending("n1"));
    const sender = new ScriptedSender([classifyHttp(200, "message_limit_exceeded") as DeliveryError]);
    const deliver = setup(sender);
    expect(await deliver(ref("n1"), plenty)).toMatchObject({ status: "requeue", delayMs: 60_000 });
    clock -= 50_000; // back after 10 s instead of 60
    expect(await deliver(ref("n1"), plenty)).toEqual({ status: "requeue", delayMs: 50_000, reason: "retry_wait" });
    expect(sender.calls).toHaveLength(1);
    expect(await deliver(ref("n1"), plenty)).toEqual({ status: "delivered", attempts: 2 });
  });

  it("a last attempt cut off before its outcome was written fails as uncertain, and its hint says so", async () => {
    store.notifications.set("n1", { ...pending("n1", 3), outcomes: 2 });
    const sender = new ScriptedSender();
    expect(await setup(sender)(ref("n1"), plenty)).toMatchObject({ status: "failed", error: "attempts_exhausted" });
    expect(sender.calls).toHaveLength(0);
    const n = store.notifications.get("n1") as NotificationRecord;
    expect(n).toMatchObject({ status: "failed", uncertain: true });
    // One sentence: what to do is look in the channel first.
    expect(notificationView(n).hint).toBe(UNCERTAIN_HINT);
    // Every outcome recorded: exhausted, and certain.
    store.notifications.set("n2", { ...pending("n2", 3), outcomes: 3 });
    await setup(sender)(ref("n2"), plenty);
    expect(store.notifications.get("n2")?.uncertain).toBeUndefined();
  });

  it("an ordinary retry after a recorded failure is not uncertain", async () => {
    store.notifications.set("n1", pending("n1"));
    const long = new ScriptedSender([new DeliveryError("rate_limited", true, 120_000)]);
    expect((await setup(long)(ref("n1"), plenty)).status).toBe("requeue");
    expect(store.notifications.get("n1")).toMatchObject({ attempts: 1, outcomes: 1 });
    expect(await setup(new ScriptedSender())(ref("n1"), plenty)).toEqual({ status: "delivered", attempts: 2 });
    expect(store.notifications.get("n1")?.uncertain).toBeUndefined();
  });

  it("starts no post that could outlive the invocation: hands the message back instead", async () => {
    store.notifications.set("n1", pending("n1"));
    const sender = new ScriptedSender();
    expect(await setup(sender)(ref("n1"), () => 9_000)).toEqual({
      status: "requeue",
      delayMs: 0,
      reason: "time_limit",
    });
    expect(sender.calls).toHaveLength(0);
    expect(store.notifications.get("n1")).toMatchObject({ status: "pending", attempts: 0 });
  });
});

describe("channel health follows each finished notification", () => {
  const at = () => new Date(clock).toISOString();

  it("a delivery records ok with the post that paces the channel (no write of its own)", async () => {
    store.notifications.set("n1", pending("n1"));
    await setup(new ScriptedSender())(ref("n1"), plenty);
    expect(store.outcomes.get("#a")).toEqual([{ status: "delivered", at: at(), connection_id: "conn_1" }]);
    expect(store.posts.get("#a")).toBe(clock);
  });

  it("a failure records Slack's error; a retried one only once it is final", async () => {
    store.notifications.set("n1", pending("n1"));
    const deliver = setup(new ScriptedSender([new DeliveryError("http_503", true)]));
    expect((await deliver(ref("n1"), plenty)).status).toBe("requeue");
    expect(store.outcomes.get("#a")).toBeUndefined();
    store.notifications.set("n2", pending("n2"));
    await setup(new ScriptedSender([new DeliveryError("not_in_channel", false)]))(ref("n2"), plenty);
    expect(store.outcomes.get("#a")).toEqual([
      { status: "failed", error: "not_in_channel", at: at(), connection_id: "conn_1" },
    ]);
  });

  const arrangements: [string, () => void][] = [
    ["not_connected", () => (store.integration = undefined)],
    ["disabled", () => (store.integration = { ...integration, enabled: false })],
    ["attempts_exhausted", () => void store.notifications.set("n1", pending("n1", 3))],
  ];
  it("a test message is posted while notifications are turned off: the person asked for it", async () => {
    store.integration = { ...integration, enabled: false };
    store.notifications.set("t1", { ...pending("t1"), type: "test", event_id: "test" });
    const sender = new ScriptedSender();
    expect((await setup(sender)(ref("t1"), plenty)).status).toBe("delivered");
    expect(sender.calls).toHaveLength(1);
    expect(store.notifications.get("t1")).toMatchObject({ status: "delivered" });
  });

  it.each(arrangements)("a failure without a post (%s) records it too", async (error, arrange) => {
    store.notifications.set("n1", pending("n1"));
    arrange();
    const sender = new ScriptedSender();
    await setup(sender)(ref("n1"), plenty);
    expect(sender.calls).toHaveLength(0);
    expect(store.outcomes.get("#a")).toEqual([{ status: "failed", error, at: at(), connection_id: "conn_1" }]);
    // Without a post, the channel's pace is left alone.
    expect(store.posts.has("#a")).toBe(false);
  });
});
