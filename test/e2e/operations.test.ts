import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  GetQueueAttributesCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { DynamoStore } from "../../functions/adapters/dynamo-store";
import {
  createAdminToken,
  createWorkspaceToken,
  listAdminTokens,
  peekDeadLetters,
  redriveDeadLetters,
  revokeAdminToken,
} from "../../ops/operations";
import { startedEvent } from "../fixtures/events";
import { startTestStack, type TestStack } from "../fixtures/test-stack";

let t: TestStack;
let store: DynamoStore;
let sqs: SQSClient;
beforeAll(async () => {
  t = await startTestStack();
  store = new DynamoStore(
    new DynamoDBClient({ endpoint: inject("dynamodbEndpoint") }),
    process.env.TABLE_NAME as string,
  );
  sqs = new SQSClient({ endpoint: inject("sqsEndpoint") });
});
afterAll(async () => {
  await t.stop();
  sqs.destroy();
});

const arnOf = async (url: string) =>
  (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }))).Attributes
    ?.QueueArn as string;

describe("operator tokens", () => {
  it("creates, lists and revokes admin tokens that the API honours", async () => {
    const admin = await createAdminToken(store, "ops laptop");
    expect((await t.call("POST", "/v1/workspaces", { token: admin.token, body: { name: "by-cli" } })).status).toBe(201);
    expect((await listAdminTokens(store)).map((x) => x.id)).toContain(admin.id);
    expect(await revokeAdminToken(store, admin.id)).toBe(true);
    expect((await t.call("POST", "/v1/workspaces", { token: admin.token, body: { name: "x" } })).status).toBe(401);
  });

  it("creates workspace tokens with the given scopes", async () => {
    const w = await t.workspace();
    const created = await createWorkspaceToken(store, w.ws, "engine", ["events:write"]);
    expect((await t.call("POST", `${w.base}/events`, { token: created.token, body: startedEvent() })).status).toBe(202);
    expect((await t.call("GET", `${w.base}/notifications`, { token: created.token })).status).toBe(403);
    await expect(createWorkspaceToken(store, "ws_missing", "x", ["events:write"])).rejects.toThrow(/No workspace/);
  });
});

describe("dead-letter redrive", () => {
  it("lists dead letters without consuming them, puts their notifications back to pending and moves the messages", async () => {
    const w = await t.workspace();
    await w.connect({ bot_token: "xoxb-ops-1", channel: "#ops" });
    t.slack.script("#ops", { status: 503 }, { status: 503 }, { status: 503 });
    const res = await w.post(startedEvent());
    const id = res.body.notifications[0]?.id as string;
    expect(await w.settled(id)).toMatchObject({ status: "failed", attempts: 3 });

    const listed = await peekDeadLetters(sqs, t.stack.deadLetterQueueUrl, 10);
    expect(listed.map((d) => d.notification_id)).toContain(id);
    expect((await peekDeadLetters(sqs, t.stack.deadLetterQueueUrl, 10)).map((d) => d.notification_id)).toContain(id);

    const [dlqArn, deliveryArn] = [await arnOf(t.stack.deadLetterQueueUrl), await arnOf(t.stack.deliveryQueueUrl)];
    // fauxqs has no StartMessageMoveTask: only that call goes to a mocked client.
    const moverClient = new SQSClient({ region: "us-east-1" });
    const mover = mockClient(moverClient);
    mover.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: "task-1" });
    const posts = t.slack.posts("#ops").length;
    const result = await redriveDeadLetters({
      store,
      sqs,
      deadLetterQueueUrl: t.stack.deadLetterQueueUrl,
      deadLetterQueueArn: dlqArn,
      deliveryQueueArn: deliveryArn,
      max: 10,
      mover: moverClient,
    });
    expect(result.requeued).toContain(id);
    expect(result.moveTaskHandle).toBe("task-1");
    expect(mover.commandCalls(StartMessageMoveTaskCommand)[0]?.args[0].input).toEqual({
      SourceArn: dlqArn,
      DestinationArn: deliveryArn,
    });
    mover.restore();
    expect(await w.notification(id)).toMatchObject({ body: { status: "pending", attempts: 0 } });
    // The pipe ignores an operator's redrive: only the moved message delivers it.
    await new Promise((r) => setTimeout(r, 1000));
    expect(t.slack.posts("#ops").length).toBe(posts);
    const letter = listed.find((d) => d.notification_id === id);
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: t.stack.deliveryQueueUrl,
        MessageBody: JSON.stringify({ workspace_id: letter?.workspace_id, notification_id: id, error: letter?.error }),
        MessageGroupId: `${w.ws}##ops`,
        MessageDeduplicationId: `moved-${id}`,
      }),
    );
    expect(await w.settled(id)).toMatchObject({ status: "delivered", attempts: 1 });
  });
});
