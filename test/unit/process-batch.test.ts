import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import { describe, expect, it } from "vitest";
import type { DeliverHooks, DeliverResult } from "../../functions/core/delivery";
import type { DeliveryRef } from "../../functions/core/ports";
import { type DeliveryQueue, makeProcessBatch, visibilitySecondsFor } from "../../functions/delivery/process-batch";

const record = (id: string, group: string, body?: string): SQSRecord =>
  ({
    messageId: id,
    receiptHandle: `rh-${id}`,
    body: body ?? JSON.stringify({ workspace_id: "ws_1", notification_id: id, event_id: "e", channel: group }),
    attributes: { MessageGroupId: group, SentTimestamp: "0" },
  }) as unknown as SQSRecord;
const context = { getRemainingTimeInMillis: () => 60_000 } as Context;

/** Records what the batch does to the queue, in order, with a timestamp. */
class RecordingQueue implements DeliveryQueue {
  log: string[] = [];
  async remove(receiptHandle: string) {
    this.log.push(`remove ${receiptHandle}`);
  }
  async handBack(receiptHandles: string[], seconds: number) {
    this.log.push(`handBack ${receiptHandles.join(",")} ${seconds}s`);
  }
}

/** `slackMs`: how long (on the batch's clock) a delivery takes from being taken up to Slack's answer. */
function setup(
  answers: Record<string, DeliverResult | Error | (() => Promise<DeliverResult>)>,
  intervalMs = 1000,
  slackMs = 0,
) {
  const queue = new RecordingQueue();
  const calls: string[] = [];
  let clock = 0;
  const process = makeProcessBatch({
    queue,
    channelIntervalMs: intervalMs,
    now: () => clock,
    deliver: async (ref: DeliveryRef, _left: () => number, hooks: DeliverHooks = {}) => {
      calls.push(ref.notification_id);
      const answer = answers[ref.notification_id] ?? { status: "delivered", attempts: 1 };
      if (answer instanceof Error) throw answer;
      queue.log.push(`post ${ref.notification_id}`);
      const result = typeof answer === "function" ? await answer() : answer;
      clock += slackMs;
      if (result.status !== "skipped") hooks.afterCall?.();
      return result;
    },
  });
  const run = (...records: SQSRecord[]) => process({ Records: records } as SQSEvent, context);
  return { queue, calls, run };
}

const failures = (r: { batchItemFailures: { itemIdentifier: string }[] }) =>
  r.batchItemFailures.map((f) => f.itemIdentifier).sort();

describe("a delivery batch", () => {
  it("posts each channel's first message; its later ones go back for the interval as it is taken up; none is held", async () => {
    let release = () => {};
    const slowB = new Promise<DeliverResult>(
      (resolve) => (release = () => resolve({ status: "delivered", attempts: 1 })),
    );
    const { queue, calls, run } = setup({ b1: () => slowB });
    const done = run(record("a1", "A"), record("b1", "B"), record("a2", "A"), record("a3", "A"));
    await new Promise((r) => setTimeout(r, 10));
    // A's later messages go back as soon as A's first is taken up, so they come back about when the pace allows the
    // next; A's posted message is deleted at once while B's post is still open.
    expect(queue.log.filter((l) => l.includes("a"))).toEqual(["handBack rh-a2,rh-a3 1s", "post a1", "remove rh-a1"]);
    release();
    const result = await done;
    expect(calls.sort()).toEqual(["a1", "b1"]);
    // B finished last: left to the event source mapping, which deletes what is not reported as failed.
    expect(queue.log).not.toContain("remove rh-b1");
    expect(failures(result)).toEqual(["a2", "a3"]);
  });

  it("when Slack answers later than an inline wait, the channel's later messages go back again from the answer", async () => {
    const quick = setup({}, 1000, 200);
    expect(failures(await quick.run(record("a1", "A"), record("a2", "A")))).toEqual(["a2"]);
    expect(quick.queue.log).toEqual(["handBack rh-a2 1s", "post a1"]);
    // Back one second after a1 was taken up, a2 would find more than a sleep still to wait, and go back again.
    const slow = setup({}, 1000, 201);
    expect(failures(await slow.run(record("a1", "A"), record("a2", "A")))).toEqual(["a2"]);
    expect(slow.queue.log).toEqual(["handBack rh-a2 1s", "post a1", "handBack rh-a2 1s"]);
  });

  it("when the first message makes no call, the next is taken back and handled in the same invocation", async () => {
    const { queue, calls, run } = setup({ a1: { status: "skipped", reason: "already_delivered" } });
    const result = await run(record("a1", "A"), record("a2", "A"), record("a3", "A"));
    expect(calls).toEqual(["a1", "a2"]);
    expect(queue.log).toEqual([
      "handBack rh-a2,rh-a3 1s",
      "post a1",
      "handBack rh-a2 60s",
      "handBack rh-a3 1s",
      "post a2",
    ]);
    expect(failures(result)).toEqual(["a3"]);
  });

  it("a queue call that fails keeps that channel's unsettled messages on the queue; the batch still answers", async () => {
    const { queue, run } = setup({});
    queue.handBack = async () => {
      throw new Error("SQS is unavailable");
    };
    const result = await run(record("a1", "A"), record("a2", "A"), record("b1", "B"));
    // a1 was posted but its channel's hand-back failed: a1 and a2 are reported (a1 is skipped when it comes back,
    // already delivered); b1, finished, is not, so the event source mapping deletes it.
    expect(failures(result)).toEqual(["a1", "a2"]);
  });

  it("a message that was not posted (skipped, or failed before any post) is finished, not reported", async () => {
    const { run } = setup({
      a1: { status: "skipped", reason: "already_delivered" },
      b1: { status: "failed", error: "not_connected", attempts: 0, exhausted: false },
    });
    const result = await run(record("a1", "A"), record("b1", "B"));
    expect(failures(result)).toEqual([]);
  });

  it("with no interval to keep, a channel's messages are all delivered in order in one invocation", async () => {
    const { queue, calls, run } = setup({}, 0);
    const result = await run(record("a1", "A"), record("a2", "A"), record("a3", "A"));
    expect(calls).toEqual(["a1", "a2", "a3"]);
    // No other channel is waiting for the invocation to end: the event source mapping deletes them then.
    expect(queue.log).toEqual(["post a1", "post a2", "post a3"]);
    expect(failures(result)).toEqual([]);
  });

  it("a message that must wait goes back with the rest of its channel, for its delay; other channels go on", async () => {
    const { queue, run } = setup(
      { a1: { status: "requeue", delayMs: 2000, reason: "retry_wait", error: "http_503" } },
      0,
    );
    const result = await run(record("a1", "A"), record("a2", "A"), record("b1", "B"));
    expect(queue.log).toContain("handBack rh-a1,rh-a2 2s");
    expect(queue.log).toContain("remove rh-b1");
    expect(failures(result)).toEqual(["a1", "a2"]);
  });

  it("one channel's slow post does not keep another channel's finished message on the queue", async () => {
    let release = () => {};
    const slow = new Promise<DeliverResult>(
      (resolve) => (release = () => resolve({ status: "delivered", attempts: 1 })),
    );
    const { queue, run } = setup({ a1: () => slow }, 0);
    const done = run(record("a1", "A"), record("b1", "B"));
    await new Promise((r) => setTimeout(r, 10));
    // B's message is deleted while A's post is still open, so B's channel can take its next message.
    expect(queue.log).toContain("remove rh-b1");
    expect(queue.log).not.toContain("remove rh-a1");
    release();
    expect(failures(await done)).toEqual([]);
    // A's, the last to finish, is left to the event source mapping, which deletes it as the invocation ends.
    expect(queue.log).not.toContain("remove rh-a1");
  });

  it("an exception keeps the message and its channel's later ones on the queue; a malformed one is dropped", async () => {
    const { queue, run } = setup({ a1: new Error("DynamoDB is down") }, 0);
    const result = await run(record("a1", "A"), record("a2", "A"), record("x", "X", "not json"));
    expect(failures(result)).toEqual(["a1", "a2"]);
    expect(queue.log).toEqual(["remove rh-x"]);
  });

  it("turns a delay into whole seconds of visibility, leaving at most an inline wait to sleep", () => {
    expect(visibilitySecondsFor(0)).toBe(0);
    expect(visibilitySecondsFor(1000)).toBe(1);
    expect(visibilitySecondsFor(1200)).toBe(1);
    expect(visibilitySecondsFor(1300)).toBe(2);
    expect(visibilitySecondsFor(60_000_000)).toBe(43_200);
  });
});
