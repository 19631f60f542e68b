import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import {
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { Context, SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { DynamoStore } from "../../functions/adapters/dynamo-store";
import { EnvelopeCipher } from "../../functions/adapters/envelope-cipher";
import { LocalKeyProvider } from "../../functions/adapters/local-key-provider";
import { eventSchema } from "../../functions/core/events";
import { newSortableId } from "../../functions/core/identity";
import { ensureQueues, ensureTable, type LocalQueues } from "../../local/resources";
import { captureLogs } from "../fixtures/capture-logs";
import { startedEvent } from "../fixtures/events";
import { FakeSlack } from "../../local/fake-slack";

let slack: FakeSlack;
let store: DynamoStore;
let queues: LocalQueues;
let sqs: SQSClient;
let handler: (event: SQSEvent, context: Context) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;
const WS = "ws_handler";

beforeAll(async () => {
  slack = await new FakeSlack().start();
  const suffix = Date.now().toString(36);
  const dynamodb = new DynamoDBClient({ endpoint: inject("dynamodbEndpoint") });
  sqs = new SQSClient({ endpoint: inject("sqsEndpoint") });
  const table = `handler-${suffix}`;
  await ensureTable(dynamodb, table);
  queues = await ensureQueues(sqs, `handler-${suffix}`, 30);
  const keyFile = join(mkdtempSync(join(tmpdir(), "handler-")), "master.key");
  Object.assign(process.env, {
    TABLE_NAME: table,
    DYNAMODB_ENDPOINT: inject("dynamodbEndpoint"),
    SQS_ENDPOINT: inject("sqsEndpoint"),
    LOCAL_MASTER_KEY_FILE: keyFile,
    DELIVERY_QUEUE_URL: queues.deliveryQueueUrl,
    DEAD_LETTER_QUEUE_URL: queues.deadLetterQueueUrl,
    SLACK_API_URL: `${slack.url}/api/`,
    SLACK_CHANNEL_INTERVAL_MS: "0",
    // Short, so a post fits in the 10 s these invocations are given (no attempt starts that cannot finish).
    SLACK_TIMEOUT_MS: "2000",
    POWERTOOLS_METRICS_DISABLED: "true",
    POWERTOOLS_LOG_LEVEL: "WARN",
  });
  ({ handler } = (await import("../../functions/delivery/handler")) as unknown as { handler: typeof handler });
  store = new DynamoStore(dynamodb, table);
  const cipher = new EnvelopeCipher(new LocalKeyProvider(keyFile));
  await store.putIntegration({
    workspace_id: WS,
    method: "bot_token",
    channels: [
      { name: "#a", conditions: [], mentions: [], mention_on: ["critical"] },
      { name: "#b", conditions: [], mentions: [], mention_on: ["critical"] },
    ],
    enabled: true,
    threads: false,
    conditions: [],
    credential: await cipher.seal(Buffer.from("xoxb-handler-1"), {
      workspace_id: WS,
      method: "bot_token",
      connection_id: "conn",
    }),
    credential_hint: "…er-1",
    connection_id: "conn",
    created_at: "t",
    updated_at: "t",
  });
  const event = eventSchema.parse(startedEvent());
  await store.acceptEvent(
    {
      workspace_id: WS,
      event_id: "evt-h",
      payload_hash: "h",
      event: { ...event, event_id: "evt-h" },
      response: { event_id: "evt-h", notifications: [] },
      created_at: new Date().toISOString(),
    },
    [],
  );
});
afterAll(async () => {
  await slack.stop();
  sqs.destroy();
});

/** A pending notification of event evt-h, stored; its id. */
async function putPending(workspaceId: string, channel: string) {
  const id = newSortableId("ntf");
  const now = new Date().toISOString();
  await store.putNotification({
    workspace_id: workspaceId,
    id,
    event_id: "evt-h",
    type: "execution_started",
    channel,
    status: "pending",
    attempts: 0,
    created_at: now,
    updated_at: now,
    connection_id: "conn",
    dispatch_id: id,
  });
  return id;
}

async function enqueue(channel: string, workspaceId = WS) {
  const id = await putPending(workspaceId, channel);
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queues.deliveryQueueUrl,
      MessageBody: JSON.stringify({ workspace_id: workspaceId, notification_id: id }),
      MessageGroupId: `${workspaceId}#${channel}`,
      MessageDeduplicationId: id,
    }),
  );
  return id;
}

async function receive(count: number): Promise<Message[]> {
  const got: Message[] = [];
  const until = Date.now() + 5000;
  while (got.length < count && Date.now() < until) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queues.deliveryQueueUrl,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ["All"],
      }),
    );
    got.push(...(out.Messages ?? []));
  }
  return got;
}

const asEvent = (messages: Message[]): SQSEvent => ({
  Records: messages.map((m) => ({
    messageId: m.MessageId as string,
    receiptHandle: m.ReceiptHandle as string,
    body: m.Body as string,
    attributes: m.Attributes as unknown as SQSEvent["Records"][number]["attributes"],
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:q.fifo",
    awsRegion: "us-east-1",
  })),
});
const contextWith = (remainingMs: number) => ({ getRemainingTimeInMillis: () => remainingMs }) as Context;

describe("delivery handler on fauxqs + DynamoDB Local", () => {
  it("hands back a record whose Retry-After exceeds the time left, and the rest of its channel, keeping order", async () => {
    const a1 = await enqueue("#a");
    const b1 = await enqueue("#b");
    slack.script("#a", { status: 429, headers: { "retry-after": "30" } });
    const received = await receive(2);
    const idOf = (m: Message) => JSON.parse(m.Body as string).notification_id as string;
    const a1Message = received.find((m) => idOf(m) === a1) as Message;
    const b1Message = received.find((m) => idOf(m) === b1) as Message;
    // SQS FIFO may put a later message of the same group in the batch (the emulator holds one per group in flight).
    const a2 = await enqueue("#a");
    const a2Message: Message = {
      MessageId: "m-a2",
      ReceiptHandle: "r-a2",
      Body: JSON.stringify({ workspace_id: WS, notification_id: a2 }),
      Attributes: { MessageGroupId: `${WS}##a` },
    };
    const result = await handler(asEvent([a1Message, a2Message, b1Message]), contextWith(10_000));
    expect(result.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([a1Message.MessageId, "m-a2"].sort());
    expect(await store.getNotification(WS, a1)).toMatchObject({ status: "pending", attempts: 1 });
    expect(await store.getNotification(WS, a2)).toMatchObject({ status: "pending", attempts: 0 });
    expect(await store.getNotification(WS, b1)).toMatchObject({ status: "delivered", attempts: 1 });
    expect(slack.posts("#a")).toHaveLength(1);
    await sqs.send(
      new DeleteMessageCommand({ QueueUrl: queues.deliveryQueueUrl, ReceiptHandle: b1Message.ReceiptHandle }),
    );
    // The handed-back message stays hidden for Retry-After instead of coming straight back.
    const soon = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queues.deliveryQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    expect((soon.Messages ?? []).map(idOf)).not.toContain(a1);
  });

  it("drops a malformed message instead of retrying it forever", async () => {
    const notJson = await handler(
      asEvent([{ MessageId: "m-text", ReceiptHandle: "r", Body: "not json", Attributes: { MessageGroupId: "g" } }]),
      contextWith(10_000),
    );
    expect(notJson.batchItemFailures).toEqual([]);
    const result = await handler(
      asEvent([{ MessageId: "m-bad", ReceiptHandle: "r", Body: '{"nope":true}', Attributes: { MessageGroupId: "g" } }]),
      contextWith(10_000),
    );
    expect(result.batchItemFailures).toEqual([]);
  });

  it("a workspace holding a copy of another workspace's integration item posts nothing with it", async () => {
    const THIEF = "ws_thief";
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: inject("dynamodbEndpoint") }));
    const key = { pk: `WS#${WS}`, sk: "INTEGRATION#slack" };
    const { Item } = await doc.send(new GetCommand({ TableName: process.env.TABLE_NAME, Key: key }));
    await doc.send(
      new PutCommand({
        TableName: process.env.TABLE_NAME,
        Item: {
          ...Item,
          pk: `WS#${THIEF}`,
          channels: [{ name: "#loot", conditions: [], mentions: [], mention_on: ["critical"] }],
        },
      }),
    );
    await store.acceptEvent(
      {
        workspace_id: THIEF,
        event_id: "evt-h",
        payload_hash: "h",
        event: { ...eventSchema.parse(startedEvent()), event_id: "evt-h" },
        response: { event_id: "evt-h", notifications: [] },
        created_at: new Date().toISOString(),
      },
      [],
    );
    const id = await putPending(THIEF, "#loot");
    const message: Message = {
      MessageId: "m-thief",
      ReceiptHandle: "r-thief",
      Body: JSON.stringify({ workspace_id: THIEF, notification_id: id }),
      Attributes: { MessageGroupId: `${THIEF}##loot` },
    };
    await handler(asEvent([message]), contextWith(10_000));
    expect(slack.posts("#loot")).toHaveLength(0);
    expect(await store.getNotification(THIEF, id)).toMatchObject({ status: "failed", error: "not_connected" });
  });

  it("a redelivered message for a delivered notification posts nothing", async () => {
    const id = await enqueue("#b");
    const [first] = await receive(1);
    expect(first).toBeDefined();
    const before = slack.posts("#b").length;
    await handler(asEvent([first as Message]), contextWith(10_000));
    await handler(asEvent([first as Message]), contextWith(10_000));
    expect(slack.posts("#b").length).toBe(before + 1);
    expect(await store.getNotification(WS, id)).toMatchObject({ status: "delivered", attempts: 1 });
  });

  it("makes failures visible: an exception logged at ERROR with its stack and counted, a permanent failure at WARN", async () => {
    // A workspace whose stored event cannot be rendered (a bug, as far as delivery can tell): the record throws.
    const broken = "ws_broken";
    const good = await store.getIntegration(WS);
    await store.putIntegration({ ...(good as NonNullable<typeof good>), workspace_id: broken });
    const event = await store.getEvent(WS, "evt-h");
    await store.acceptEvent(
      {
        ...(event as NonNullable<typeof event>),
        workspace_id: broken,
        event: {} as NonNullable<typeof event>["event"],
      },
      [],
    );
    const thrown = await enqueue("#a", broken);
    // A channel no earlier test holds in flight (FIFO keeps a group blocked while one of its messages is out).
    slack.script("#c", { status: 200, json: { ok: false, error: "channel_not_found" } });
    const refused = await enqueue("#c");
    const ours = (m: Message) => [thrown, refused].some((id) => (m.Body as string).includes(id));
    const messages = (await receive(2)).filter(ours);
    expect(messages).toHaveLength(2);
    const { metrics } = await import("../../functions/adapters/observability");
    const counted = vi.spyOn(metrics, "addMetric");
    const { result, lines: logs } = await captureLogs(() =>
      handler(asEvent(messages), {
        awsRequestId: "req-visible-1",
        functionName: "delivery",
        getRemainingTimeInMillis: () => 10_000,
      } as Context),
    );
    const thrownMessage = messages.find((m) => (m.Body as string).includes(thrown)) as Message;
    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([thrownMessage.MessageId]);
    const error = logs.find((l) => l.level === "ERROR" && l.notification_id === thrown) as {
      error: { name: string; stack: string };
    };
    expect(error).toMatchObject({ message: "delivery record failed", function_request_id: "req-visible-1" });
    expect(error.error.stack).toMatch(/at /);
    expect(counted).toHaveBeenCalledWith("DeliveryRecordErrors", "Count", 1);
    expect(logs.find((l) => l.level === "WARN" && l.notification_id === refused)).toMatchObject({
      message: "notification failed",
      error: "channel_not_found",
      function_request_id: "req-visible-1",
    });
    expect(await store.getNotification(broken, thrown)).toMatchObject({ status: "pending" });
    expect(JSON.stringify(logs)).not.toContain("xoxb-handler-1");
    counted.mockRestore();
  });

  it("a stored credential that cannot be opened fails its notification as credential_unreadable, posting nothing", async () => {
    const tampered = "ws_tampered";
    const good = await store.getIntegration(WS);
    await store.putIntegration({
      ...(good as NonNullable<typeof good>),
      workspace_id: tampered,
      credential: { ...(good as NonNullable<typeof good>).credential, tag: Buffer.alloc(16).toString("base64") },
    });
    const event = await store.getEvent(WS, "evt-h");
    await store.acceptEvent({ ...(event as NonNullable<typeof event>), workspace_id: tampered }, []);
    const id = await putPending(tampered, "#t");
    const message: Message = {
      MessageId: "m-tampered",
      ReceiptHandle: "r-tampered",
      Body: JSON.stringify({ workspace_id: tampered, notification_id: id }),
      Attributes: { MessageGroupId: `${tampered}##t` },
    };
    const result = await handler(asEvent([message]), contextWith(10_000));
    expect(result.batchItemFailures).toEqual([]);
    expect(await store.getNotification(tampered, id)).toMatchObject({
      status: "failed",
      error: "credential_unreadable",
    });
    expect(slack.posts("#t")).toHaveLength(0);
  });
});
