import {
  ChangeMessageVisibilityBatchCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";

// The SQS emulator of the test run (local/emulators.ts) receives from FIFO queues as SQS does: a group's messages
// together and in order, the group blocked while any is in flight, and messages made visible again back in order.
let sqs: SQSClient;
const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
let queues = 0;

beforeAll(() => {
  sqs = new SQSClient({ endpoint: inject("sqsEndpoint") });
});
afterAll(() => sqs.destroy());

async function fifoQueue(): Promise<string> {
  const out = await sqs.send(
    new CreateQueueCommand({
      QueueName: `fifo-${suffix}-${++queues}.fifo`,
      Attributes: { FifoQueue: "true", ContentBasedDeduplication: "true", VisibilityTimeout: "30" },
    }),
  );
  return out.QueueUrl as string;
}

async function send(queueUrl: string, group: string, bodies: string[]) {
  await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: bodies.map((b, i) => ({ Id: String(i), MessageBody: b, MessageGroupId: group })),
    }),
  );
}

const receive = async (queueUrl: string, wait = 0): Promise<Message[]> =>
  (await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: wait })))
    .Messages ?? [];

const bodies = (ms: Message[]) => ms.map((m) => m.Body);

const handBack = (queueUrl: string, ms: Message[], seconds: number) =>
  sqs.send(
    new ChangeMessageVisibilityBatchCommand({
      QueueUrl: queueUrl,
      Entries: ms.map((m, i) => ({
        Id: String(i),
        ReceiptHandle: m.ReceiptHandle as string,
        VisibilityTimeout: seconds,
      })),
    }),
  );

describe("the local SQS emulator's FIFO queues", () => {
  it("return as many of one group's messages as they can, in order, then the next group's, up to the batch size", async () => {
    const q = await fifoQueue();
    await send(q, "A", ["a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8"]);
    await send(q, "B", ["b1", "b2", "b3"]);
    expect(bodies(await receive(q))).toEqual(["a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "b1", "b2"]);
    // Both groups are blocked now: b3 does not come while b1 and b2 are in flight.
    expect(await receive(q)).toEqual([]);
  });

  it("keep a group blocked while any of its messages is in flight, and free it when the last one is deleted", async () => {
    const q = await fifoQueue();
    await send(q, "A", ["a1", "a2", "a3"]);
    const [first, second, third] = await receive(q);
    expect(bodies([first, second, third] as Message[])).toEqual(["a1", "a2", "a3"]);
    await send(q, "A", ["a4"]);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: q, ReceiptHandle: first?.ReceiptHandle }));
    await sqs.send(new DeleteMessageCommand({ QueueUrl: q, ReceiptHandle: second?.ReceiptHandle }));
    expect(await receive(q)).toEqual([]);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: q, ReceiptHandle: third?.ReceiptHandle }));
    expect(bodies(await receive(q))).toEqual(["a4"]);
  });

  it("put messages handed back at once in front of the group, in their order", async () => {
    const q = await fifoQueue();
    await send(q, "A", ["a1", "a2", "a3", "a4"]);
    const batch = await receive(q);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: q, ReceiptHandle: batch[0]?.ReceiptHandle }));
    await handBack(q, batch.slice(1), 0);
    expect(bodies(await receive(q))).toEqual(["a2", "a3", "a4"]);
  });

  it("with a visibility of 0, return each message once per receive and free the group as they are deleted", async () => {
    const q = await fifoQueue();
    await send(q, "A", ["a1", "a2"]);
    const got =
      (await sqs.send(new ReceiveMessageCommand({ QueueUrl: q, MaxNumberOfMessages: 10, VisibilityTimeout: 0 })))
        .Messages ?? [];
    expect(bodies(got)).toEqual(["a1", "a2"]);
    for (const m of got) await sqs.send(new DeleteMessageCommand({ QueueUrl: q, ReceiptHandle: m.ReceiptHandle }));
    await send(q, "A", ["a3"]);
    expect(bodies(await receive(q))).toEqual(["a3"]);
  });

  it("put messages whose visibility runs out back in their order, when the last of them comes back", async () => {
    const q = await fifoQueue();
    await send(q, "A", ["a1", "a2", "a3"]);
    const batch = await receive(q);
    await handBack(q, batch, 1);
    expect(await receive(q)).toEqual([]);
    expect(bodies(await receive(q, 3))).toEqual(["a1", "a2", "a3"]);
  });
});
