import { CreateQueueCommand, SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { startQueuePoller } from "../../local/queue-poller";

// The local event source mapping on the test run's SQS emulator: held, it takes nothing new; released, it delivers
// what arrived meanwhile, in order.
let sqs: SQSClient;
const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

beforeAll(() => {
  sqs = new SQSClient({ endpoint: inject("sqsEndpoint") });
});
afterAll(() => sqs.destroy());

describe("the local queue poller", () => {
  it("takes no message while held (a receive under way hands its messages back), and all of them once released", async () => {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({
        QueueName: `poller-${suffix}.fifo`,
        Attributes: { FifoQueue: "true", ContentBasedDeduplication: "true", VisibilityTimeout: "30" },
      }),
    );
    const handled: string[] = [];
    const poller = startQueuePoller({
      sqs,
      queueUrl: QueueUrl as string,
      queueArn: "arn:aws:sqs:us-east-1:000000000000:poller",
      handler: async (event) => {
        handled.push(...event.Records.map((r) => r.body));
        return { batchItemFailures: [] };
      },
      concurrency: 2,
      batchSize: 10,
      functionTimeoutMs: 60_000,
      onError: (err) => {
        throw err;
      },
    });
    try {
      // The workers are in a long poll now; held, what it returns goes back to the queue.
      poller.hold();
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl,
          Entries: ["m1", "m2", "m3"].map((b, i) => ({ Id: String(i), MessageBody: b, MessageGroupId: "A" })),
        }),
      );
      await new Promise((r) => setTimeout(r, 1200));
      expect(handled).toEqual([]);
      poller.release();
      await expect.poll(() => handled, { timeout: 5000 }).toEqual(["m1", "m2", "m3"]);
    } finally {
      await poller.stop();
    }
  });
});
