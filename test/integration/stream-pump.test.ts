import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { DynamoStore } from "../../functions/adapters/dynamo-store";
import { newNotification } from "../../functions/core/delivery";
import { ensureQueues, ensureTable } from "../../local/resources";
import { requeuePending, startStreamPump } from "../../local/stream-pump";

let dynamodb: DynamoDBClient;
let sqs: SQSClient;
let store: DynamoStore;
let table: string;
let streamArn: string;
const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const checkpointFile = join(mkdtempSync(join(tmpdir(), "pump-")), "stream-checkpoint.json");
const logs: string[] = [];

beforeAll(async () => {
  dynamodb = new DynamoDBClient({ endpoint: inject("dynamodbEndpoint") });
  sqs = new SQSClient({ endpoint: inject("sqsEndpoint") });
  table = `pump-${suffix}`;
  ({ streamArn } = await ensureTable(dynamodb, table));
  store = new DynamoStore(dynamodb, table);
});
afterAll(() => {
  dynamodb.destroy();
  sqs.destroy();
});

let queues = 0;
/** A queue of its own, so the queue's deduplication window never hides a message forwarded again. */
const freshQueue = async () => (await ensureQueues(sqs, `pump-${suffix}-${++queues}`, 30)).deliveryQueueUrl;

const pending = async (channel = "#a") => {
  const n = newNotification({
    workspace_id: "ws_pump",
    event_id: "evt-1",
    type: "scan_completed",
    channel,
    connection_id: "conn-1",
  });
  await store.putNotification(n);
  return n.id;
};

/** The notification ids of the next `count` messages on the queue, in the order received (deleted, so a FIFO group moves on). */
async function receive(queueUrl: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  while (ids.length < count) {
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 5 }),
    );
    if (!out.Messages?.length) throw new Error(`expected ${count} messages, got ${ids.length}`);
    ids.push(...out.Messages.map((m) => (JSON.parse(m.Body ?? "{}") as { notification_id: string }).notification_id));
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: out.Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle as string })),
      }),
    );
  }
  return ids;
}

const pump = (queueUrl: string) =>
  startStreamPump({
    dynamodbEndpoint: inject("dynamodbEndpoint"),
    credentials: inject("awsCredentials"),
    streamArn,
    sqs,
    queueUrl,
    checkpointFile,
    onError: (err) => logs.push(`error: ${String(err)}`),
    log: (line) => logs.push(line),
    idleMs: 20,
  });

describe("the local stream pump", () => {
  let first: string;
  let second: string;
  it("keeps its position per shard and resumes after the last record it handled", async () => {
    const q1 = await freshQueue();
    first = await pending();
    const p1 = pump(q1);
    expect(await receive(q1, 1)).toEqual([first]);
    await p1.stop();
    const saved = JSON.parse(readFileSync(checkpointFile, "utf8")) as {
      streamArn: string;
      shards: Record<string, { after?: string }>;
    };
    expect(saved.streamArn).toBe(streamArn);
    expect(Object.values(saved.shards).map((s) => s.after)).toEqual([expect.stringMatching(/^\d{21,}$/)]);

    second = await pending();
    const q2 = await freshQueue();
    const p2 = pump(q2);
    // Same message group: a replay of the first would come before the second.
    expect(await receive(q2, 1)).toEqual([second]);
    await p2.stop();
    expect(logs.filter((l) => l.startsWith("error"))).toEqual([]);
  });

  it("reads the stream from its start when the checkpoint is another stream's (table recreated) or unusable", async () => {
    const all = await receiveAllFrom({ streamArn: "arn:aws:dynamodb:ddblocal:000000000000:table/gone/stream/x" });
    expect(all[0]).toBe(first);
    expect(logs).toContainEqual(expect.stringMatching(/not the one checkpointed/));

    const shards = (JSON.parse(readFileSync(checkpointFile, "utf8")) as { shards: Record<string, unknown> }).shards;
    const [shard] = Object.keys(shards);
    const again = await receiveAllFrom({ streamArn, shards: { [shard as string]: { after: "9".repeat(25) } } });
    expect(again[0]).toBe(first);
    expect(logs).toContainEqual(expect.stringMatching(/refused the checkpoint/));
  });

  it("queues every pending notification again, oldest first per channel, and nothing already finished", async () => {
    const done = await pending("#b");
    await store.finish("ws_pump", done, { status: "delivered" });
    const b1 = await pending("#b");
    const b2 = await pending("#b");
    // Delivered, its thread's status message update still to make: that waited in the queue too.
    const updateDue = await pending("#c");
    await store.finish("ws_pump", updateDue, { status: "delivered", slack_ts: "1.2", thread_update: "pending" });
    const q = await freshQueue();
    expect(await requeuePending({ dynamodb, tableName: table, sqs, queueUrl: q })).toBe(5);
    const ids = await receive(q, 5);
    expect(ids).not.toContain(done);
    expect(ids).toContain(updateDue);
    expect(ids.filter((id) => id === first || id === second)).toEqual([first, second]);
    expect(ids.filter((id) => id === b1 || id === b2)).toEqual([b1, b2]);
  });
});

/** Starts the pump from `checkpoint` on a fresh queue; the first two messages it forwards. */
async function receiveAllFrom(checkpoint: Record<string, unknown>) {
  writeFileSync(checkpointFile, JSON.stringify(checkpoint));
  const q = await freshQueue();
  const p = pump(q);
  try {
    return await receive(q, 2);
  } finally {
    await p.stop();
  }
}
