import { afterAll, beforeAll, expect, it } from "vitest";
import { startedEvent } from "../fixtures/events";
import { queuePlaceKey, recordQueuePlaces } from "../fixtures/stack-with-fake-slack";
import { startTestStack, type TestStack } from "../fixtures/test-stack";

const INTERVAL_MS = 300;
const EVENTS_AT_ONCE = 10;
let t: TestStack;
/** Each delivered event's queue message's place in its channel's FIFO group, by event id. */
const queued = new Map<string, bigint>();
beforeAll(async () => {
  t = await startTestStack({
    channelIntervalMs: INTERVAL_MS,
    onInvocation: recordQueuePlaces(queued),
  });
});
afterAll(async () => {
  await t.stop();
});

it("keeps per-channel order and SLACK_CHANNEL_INTERVAL_MS between posts, while other channels proceed", async () => {
  const w = await t.workspace();
  // Standalone posts: one Slack call per event (threads pace their own calls the same way; see threads.test.ts).
  await w.connect({ bot_token: "xoxb-order-1", channels: ["#busy", "#other"], threads: false });
  // The third post is retried after 1 s: order must hold through a retry too.
  t.slack.script("#busy", {}, {}, { status: 503 });
  const accepted: string[] = [];
  for (let i = 0; i < 6; i++) {
    const event = {
      ...startedEvent(),
      event_id: `order-${i}`,
      data: { execution_id: `exec-${i}`, current_version: "1", target_version: "2" },
    };
    const res = await w.post(event);
    accepted.push(...res.body.notifications.map((n) => n.id));
  }
  for (const id of accepted) expect((await w.settled(id, 30_000)).status).toBe("delivered");
  const busy = t.slack.posts("#busy").filter((p) => p.status !== 503);
  const executions = (posts: typeof busy) =>
    posts.map((p) => /exec-(\d)/.exec(JSON.stringify(p.body))?.[1]).filter((x, i, all) => all.indexOf(x) === i);
  expect(executions(busy)).toEqual(["0", "1", "2", "3", "4", "5"]);
  expect(executions(t.slack.posts("#other"))).toEqual(["0", "1", "2", "3", "4", "5"]);
  const all = t.slack.posts("#busy");
  for (let i = 1; i < all.length; i++) {
    expect((all[i]?.at as number) - (all[i - 1]?.at as number)).toBeGreaterThanOrEqual(INTERVAL_MS - 15);
  }
});

it("posts events sent at once in the order they were queued (accepted), one order for every channel, each channel one interval apart", async () => {
  const w = await t.workspace();
  const channels = ["#burst-a", "#burst-b", "#burst-c"];
  await w.connect({ bot_token: "xoxb-order-2", channels, threads: false });
  // Sent at once: the service accepts them in some order, queues each channel's in that order, and posts them so,
  // while a channel's later messages go back to the queue for the interval.
  const replies = await Promise.all(
    Array.from({ length: EVENTS_AT_ONCE }, (_, i) =>
      w.post({
        ...startedEvent(),
        event_id: `burst-${i}`,
        data: { execution_id: `burst-${i}`, current_version: "1", target_version: "2" },
      }),
    ),
  );
  for (const r of replies)
    for (const n of r.body.notifications) expect((await w.settled(n.id, 30_000)).status).toBe("delivered");
  const orders: string[][] = [];
  for (const channel of channels) {
    const posts = t.slack.posts(channel);
    const eventIds = posts.map((p) => /burst-\d+/.exec(JSON.stringify(p.body))?.[0] ?? "?");
    expect(eventIds).toHaveLength(EVENTS_AT_ONCE);
    orders.push(eventIds);
    // Filed once each delivery invocation has finished, which is a moment after the last post was recorded.
    const places = () => eventIds.map((id) => queued.get(queuePlaceKey(id, channel)));
    await expect.poll(() => places().every((p) => p !== undefined)).toBe(true);
    const posted = places() as bigint[];
    const queuedOrder = [...posted].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect(posted, `${channel}: ${eventIds.join(" ")}`).toEqual(queuedOrder);
    for (let i = 1; i < posts.length; i++)
      expect((posts[i]?.at as number) - (posts[i - 1]?.at as number)).toBeGreaterThanOrEqual(INTERVAL_MS - 15);
  }
  // One acceptance order, so every channel gets the events in the same one.
  for (const order of orders.slice(1)) expect(order).toEqual(orders[0]);
});

it("one hanging channel does not hold up another channel's posts beyond that channel's own pacing", async () => {
  const w = await t.workspace("isolation");
  await w.connect({
    bot_token: "xoxb-order-2",
    threads: false,
    channels: [
      { name: "#hangs", conditions: [{ key: "lane", operator: "In", values: ["hang"] }] },
      { name: "#flows", conditions: [{ key: "lane", operator: "In", values: ["flow"] }] },
    ],
  });
  t.slack.hanging.add("#hangs");
  const event = (lane: string, i: number) => ({
    ...startedEvent(),
    event_id: `iso-${lane}-${i}`,
    labels: { lane },
    data: { execution_id: `iso-${lane}-${i}`, current_version: "1", target_version: "2" },
  });
  const stuck = (await w.post(event("hang", 0))).body.notifications[0]?.id as string;
  const latencies: number[] = [];
  for (let i = 0; i < 4; i++) {
    const accepted = Date.now();
    const id = (await w.post(event("flow", i))).body.notifications[0]?.id as string;
    expect((await w.settled(id, 10_000)).status).toBe("delivered");
    latencies.push(Date.now() - accepted);
  }
  // Each within a post or two of its own channel's interval, while the other channel's post is still hanging.
  for (const ms of latencies) expect(ms).toBeLessThan(INTERVAL_MS + 1500);
  expect((await w.notification(stuck)).body.status).toBe("pending");
  t.slack.hanging.delete("#hangs");
  expect(["delivered", "failed"]).toContain((await w.settled(stuck, 30_000)).status);
});
