import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { BatchWriteCommand, type BatchWriteCommandInput, DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { newSortableId } from "../../functions/core/identity";
import type { NotificationRecord } from "../../functions/core/ports";
import { completedEvent, failedEvent, scanEvent, scheduledEvent, startedEvent } from "../fixtures/events";
import { startTestStack, type TestStack } from "../fixtures/test-stack";

type TextObject = { type: string; text: string; verbatim?: boolean };
type Block = {
  type: string;
  text?: TextObject;
  fields?: TextObject[];
  elements?: { text?: { text: string } | string; url?: string }[];
};
type Posted = {
  channel?: string;
  text: string;
  attachments: { color: string; fallback?: string; blocks: Block[] }[];
  unfurl_links?: boolean;
  unfurl_media?: boolean;
};

let t: TestStack;
const output: string[] = [];
const writes = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
beforeAll(async () => {
  // Everything the handlers log in this process is kept, to prove no credential reaches a log line.
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    output.push(String(chunk));
    return writes.out(chunk, ...rest);
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    output.push(String(chunk));
    return writes.err(chunk, ...rest);
  }) as typeof process.stderr.write;
  t = await startTestStack();
});
afterAll(async () => {
  process.stdout.write = writes.out;
  process.stderr.write = writes.err;
  await t.stop();
});

const SECRET = "xoxb-777-888-TOPSECRETzz42";
let n = 0;
/** A standalone post per event (threads are tested in threads.test.ts), so each attempt is the event's own post. */
async function connected(settings: Record<string, unknown> = {}) {
  const w = await t.workspace();
  const channel = `#d-${++n}`;
  await w.connect({ bot_token: SECRET, channel, threads: false, ...settings });
  return { ...w, channel };
}

describe("events become Block Kit messages", () => {
  it("accepts (202), records pending, and delivers a rich message for each type", async () => {
    const w = await connected();
    const cases: [Record<string, unknown>, string, string | undefined][] = [
      [scanEvent(), "#E01E5A", "CRITICAL"],
      [scanEvent({}, { risk_score: 12 }), "#36C5F0", "LOW"],
      [scheduledEvent(65), "#ECB22E", "HIGH"],
      [scheduledEvent(45), "#F2C744", "MEDIUM"],
      [startedEvent(), "#36C5F0", undefined],
      [completedEvent(), "#2EB67D", undefined],
      [failedEvent(), "#E01E5A", undefined],
    ];
    for (const [event, color, label] of cases) {
      const res = await w.post(event);
      expect(res.status).toBe(202);
      expect(res.body.event_id).toBe(event.event_id);
      expect(res.body.notifications).toEqual([
        { id: expect.stringMatching(/^ntf_/), channel: w.channel, status: "pending" },
      ]);
      const id = res.body.notifications[0]?.id as string;
      const done = await w.settled(id);
      expect(done).toMatchObject({
        id,
        event_id: event.event_id,
        type: event.type,
        channel: w.channel,
        status: "delivered",
        attempts: 1,
      });
      expect(typeof done.delivered_at).toBe("string");
      const post = t.slack.posts(w.channel).at(-1);
      expect(post?.path).toBe("/api/chat.postMessage");
      expect(post?.authorization).toBe(`Bearer ${SECRET}`);
      expect(post?.contentType).toContain("application/json");
      const body = post?.body as unknown as Posted;
      expect(body.channel).toBe(w.channel);
      expect(body.unfurl_links).toBe(false);
      expect(body.unfurl_media).toBe(false);
      expect(body.text).toContain(
        "prod-eu-1".startsWith((event.cluster as { name: string }).name)
          ? "prod-eu-1"
          : (event.cluster as { name: string }).name,
      );
      if (label) expect(body.text).toContain(label);
      expect(body.attachments).toHaveLength(1);
      const [attachment] = body.attachments;
      expect(attachment?.color).toBe(color);
      const types = attachment?.blocks.map((b) => b.type) ?? [];
      expect(types[0]).toBe("header");
      expect(types[1]).toBe("section");
      expect(attachment?.blocks[1]?.fields?.length).toBeGreaterThan(0);
      expect(types.at(-1)).toBe("context");
      expect(types.at(-2)).toBe("actions");
      expect(types.at(-3)).toBe("divider");
      const button = attachment?.blocks.at(-2)?.elements?.[0];
      expect(button?.text).toMatchObject({ text: "View in Dashboard" });
      expect(button?.url).toBe((event.dashboard_url as string | undefined) ?? "https://dashboard.example.com/");
      const all = JSON.stringify(attachment);
      if (label) expect(all).toContain(label);
      if (event.type === "execution_completed")
        for (const s of ["22m 5s", "not_needed", "97"]) expect(all).toContain(s);
      if (event.type === "execution_failed")
        for (const s of ["node drain timed out", "rolled_back", "Error details"]) expect(all).toContain(s);
      if (event.type === "upgrade_scheduled") expect(all).toContain("2026-11-22T02:00:00Z");
      if (event.type === "scan_completed" && label === "CRITICAL")
        for (const s of ["batch/v1beta1 CronJob", "istio", "1.29", "1.30"]) expect(all).toContain(s);
    }
  });

  it("preview returns exactly the payload Slack then receives, storing and sending nothing", async () => {
    const w = await connected();
    const event = scanEvent();
    const before = t.slack.requests.length;
    const preview = await t.call<{ messages: { channel: string; payload: Posted }[] }>(
      "POST",
      `${w.base}/events/preview`,
      { token: w.token, body: event },
    );
    expect(preview.status).toBe(200);
    expect(preview.body.messages).toHaveLength(1);
    expect(t.slack.requests.length).toBe(before);
    expect(
      (await t.call<{ items: unknown[] }>("GET", `${w.base}/notifications`, { token: w.token })).body.items,
    ).toEqual([]);
    const res = await w.post(event);
    await w.settled(res.body.notifications[0]?.id as string);
    expect(t.slack.posts(w.channel).at(-1)?.body).toEqual(preview.body.messages[0]?.payload);
  });

  it("escapes event text so it can never ping or forge a link", async () => {
    const w = await connected();
    const event = failedEvent({
      failure_reason: "<!channel> look <https://evil.example|the fix> & <@U123>",
      error_details: "<!here> stack <script>",
    });
    (event.cluster as { name: string }).name = "<!everyone>";
    const res = await w.post(event);
    await w.settled(res.body.notifications[0]?.id as string);
    const raw = t.slack.posts(w.channel).at(-1)?.raw ?? "";
    for (const forbidden of ["<!channel>", "<!here>", "<!everyone>", "<https://evil", "<@U123>", "<script>"])
      expect(raw).not.toContain(forbidden);
    expect(raw).toContain("&lt;!channel&gt;");
    expect(raw).toContain("&amp;");
  });

  it("the button gets the normalized dashboard_url; user info, whitespace and control characters are 400", async () => {
    const w = await connected();
    for (const dashboard_url of [
      "https://user:pass@app.example.com/x",
      " https://app.example.com/x",
      "https://app.example.com/x\n",
      "https://app.example.com/\tx",
      "http://app.example.com/x",
    ]) {
      const res = await w.post(scanEvent({ dashboard_url }));
      expect(res.status, JSON.stringify(dashboard_url)).toBe(400);
      expect(res.body).toMatchObject({
        error: { code: "validation_error", details: [{ path: "dashboard_url", message: expect.any(String) }] },
      });
    }
    expect(
      (await t.call<{ items: unknown[] }>("GET", `${w.base}/notifications`, { token: w.token })).body.items,
    ).toEqual([]);
    const res = await w.post(scanEvent({ dashboard_url: "HTTPS://App.Example.COM/clusters/../upgrades/é" }));
    expect(res.status).toBe(202);
    await w.settled(res.body.notifications[0]?.id as string);
    const body = t.slack.posts(w.channel).at(-1)?.body as unknown as Posted;
    const button = body.attachments[0]?.blocks.find((b) => b.type === "actions")?.elements?.[0];
    expect(button?.url).toBe("https://app.example.com/upgrades/%C3%A9");
  });

  it("Slack receives a fallback on the attachment and verbatim mrkdwn for event text", async () => {
    const w = await connected();
    const res = await w.post(failedEvent({ failure_reason: "see https://runbook.example #ops", error_details: "x" }));
    await w.settled(res.body.notifications[0]?.id as string);
    const body = t.slack.posts(w.channel).at(-1)?.body as unknown as Posted;
    expect(body.attachments).toHaveLength(1);
    expect(body.attachments[0]?.fallback).toBe(body.text);
    const texts = (body.attachments[0]?.blocks ?? []).flatMap((b) => [
      ...(b.text ? [b.text] : []),
      ...(b.fields ?? []),
      ...(b.elements ?? []).flatMap((el) => (typeof el.text === "object" ? [el.text as TextObject] : [])),
    ]);
    const mrkdwn = texts.filter((x) => x.type === "mrkdwn");
    expect(mrkdwn.some((x) => x.text.includes("https://runbook.example #ops"))).toBe(true);
    for (const x of mrkdwn) expect(x.verbatim, x.text).toBe(true);
    // The test message too.
    const test = await t.call<{ results: { notification_id: string }[] }>("POST", `${w.base}/integrations/slack/test`, {
      token: w.token,
    });
    expect(test.status).toBe(200);
    const posted = t.slack.posts(w.channel).at(-1)?.body as unknown as Posted;
    expect(posted.attachments[0]?.fallback).toBe(posted.text);
    // Logged like any delivered notification, with the ts Slack answered.
    const logged = await w.notification(test.body.results[0]?.notification_id as string);
    expect(logged.body).toMatchObject({
      type: "test",
      status: "delivered",
      slack_ts: expect.stringMatching(/^\d+\.\d+$/),
    });
  });

  it("an emoji-heavy cluster name keeps the header within 150 UTF-16 units, whole emoji only", async () => {
    const w = await connected();
    const res = await w.post(scanEvent({ cluster: { name: "🚀".repeat(126) } }));
    await w.settled(res.body.notifications[0]?.id as string);
    const header = (t.slack.posts(w.channel).at(-1)?.body as unknown as Posted).attachments[0]?.blocks[0];
    expect(header?.type).toBe("header");
    expect(header?.text?.text.length).toBeLessThanOrEqual(150);
    expect(/\p{Cs}/u.test(header?.text?.text ?? "")).toBe(false);
    expect(header?.text?.text.endsWith("🚀…")).toBe(true);
  });

  it("a webhook integration posts {text, attachments} to the webhook's own URL", async () => {
    const w = await t.workspace();
    await w.connect({ webhook_url: "https://hooks.slack.com/services/T1/B2/sekret" });
    const res = await w.post(startedEvent());
    expect(res.body.notifications[0]?.channel).toBe("#general");
    const done = await w.settled(res.body.notifications[0]?.id as string);
    expect(done.status).toBe("delivered");
    const post = t.slack.posts("/services/T1/B2/sekret").at(-1);
    expect(post?.body.channel).toBeUndefined();
    expect(post?.body.text).toContain("Upgrade started");
    expect(post?.body.attachments).toHaveLength(1);
  });
});

describe("idempotency and routing", () => {
  it("a repeated event_id with the same payload is 200 and sends nothing new; a changed one is 409", async () => {
    const w = await connected();
    const event = scanEvent();
    const first = await w.post(event);
    expect(first.status).toBe(202);
    await w.settled(first.body.notifications[0]?.id as string);
    const reordered = Object.fromEntries(Object.entries(event).reverse());
    const again = await w.post(reordered);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const conflict = await w.post({ ...event, cluster: { name: "other" } });
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ error: { code: "event_id_conflict" } });
    await new Promise((r) => setTimeout(r, 300));
    expect(t.slack.posts(w.channel)).toHaveLength(1);
  });

  it("says why nothing is sent: not_connected, disabled, filtered", async () => {
    const w = await t.workspace();
    const none = await w.post(scanEvent());
    expect(none.status).toBe(202);
    expect(none.body).toMatchObject({ notifications: [], skipped: "not_connected" });
    await w.connect({ bot_token: "xoxb-1", channel: "#x", enabled: false });
    expect((await w.post(scanEvent())).body).toMatchObject({ notifications: [], skipped: "disabled" });
    await w.connect({ enabled: true, conditions: [{ key: "severity", operator: "NotIn", values: ["low"] }] });
    expect((await w.post(scanEvent({}, { risk_score: 5 }))).body).toMatchObject({
      notifications: [],
      skipped: "filtered",
    });
    expect((await w.post(scanEvent({}, { risk_score: 95 }))).body.notifications).toHaveLength(1);
  });

  it("routes by labels and built-ins across channels", async () => {
    const w = await t.workspace();
    await w.connect({
      bot_token: "xoxb-1",
      channels: [
        "#all",
        { name: "#prod", conditions: [{ key: "env", operator: "In", values: ["prod"] }] },
        { name: "#failures", conditions: [{ key: "type", operator: "In", values: ["execution_failed"] }] },
        { name: "#unlabelled", conditions: [{ key: "team", operator: "DoesNotExist" }] },
        {
          name: "#eu",
          conditions: [
            { key: "cluster", operator: "In", values: ["prod-eu-1"] },
            { key: "region", operator: "Exists" },
          ],
        },
      ],
    });
    const channelsOf = async (event: unknown) => (await w.post(event)).body.notifications.map((x) => x.channel).sort();
    expect(await channelsOf(scanEvent())).toEqual(["#all", "#prod"]);
    expect(await channelsOf(failedEvent())).toEqual(["#all", "#failures", "#unlabelled"]);
    expect(await channelsOf({ ...startedEvent(), labels: { region: "eu" } })).toEqual(["#all", "#eu", "#unlabelled"]);
  });

  it("rejects invalid events with details and stores nothing", async () => {
    const w = await connected();
    const bad = [
      { ...scanEvent(), event_id: "has space" },
      { ...scanEvent(), event_id: "x".repeat(129) },
      { ...scanEvent(), type: "scan_started" },
      scanEvent({}, { risk_score: 101 }),
      scanEvent({}, { risk_score: undefined }),
      { ...scanEvent(), cluster: {} },
      { ...scanEvent(), occurred_at: "yesterday" },
      { ...scanEvent(), dashboard_url: "http://insecure.example.com" },
      { ...scanEvent(), labels: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, "v"])) },
      { ...scanEvent(), labels: { env: 3 } },
      { ...scheduledEvent(), data: { risk_score: 10, current_version: "1", target_version: "2" } },
      { ...startedEvent(), data: { current_version: "1", target_version: "2" } },
      {
        ...completedEvent(),
        data: {
          execution_id: "e",
          current_version: "1",
          target_version: "2",
          duration_seconds: 5,
          rollback_status: "x",
          confidence_score: 140,
        },
      },
      {
        ...failedEvent(),
        data: { execution_id: "e", current_version: "1", target_version: "2", rollback_status: "x" },
      },
    ];
    for (const event of bad) {
      const res = await w.post(event);
      expect(res.status, JSON.stringify(event).slice(0, 120)).toBe(400);
      expect(res.body).toMatchObject({ error: { code: "validation_error", details: expect.any(Array) } });
    }
    expect(
      (await t.call<{ items: unknown[] }>("GET", `${w.base}/notifications`, { token: w.token })).body.items,
    ).toEqual([]);
  });
});

describe("retries and failures", () => {
  it("retries 503 after 1 s and 429 after Retry-After, then delivers", async () => {
    const w = await connected();
    t.slack.script(w.channel, { status: 503 }, { status: 429, headers: { "retry-after": "1" } });
    const res = await w.post(scanEvent());
    const done = await w.settled(res.body.notifications[0]?.id as string);
    expect(done).toMatchObject({ status: "delivered", attempts: 3 });
    const times = t.slack.posts(w.channel).map((p) => p.at);
    expect(times).toHaveLength(3);
    expect((times[1] as number) - (times[0] as number)).toBeGreaterThanOrEqual(950);
    expect((times[2] as number) - (times[1] as number)).toBeGreaterThanOrEqual(950);
  });

  it("gives up after 3 attempts (1 s, then 2 s), marks failed and dead-letters without the secret", async () => {
    const w = await connected();
    t.slack.script(w.channel, { status: 502 }, "reset", { status: 504 });
    const res = await w.post(scanEvent());
    const id = res.body.notifications[0]?.id as string;
    const done = await w.settled(id);
    expect(done).toMatchObject({ status: "failed", attempts: 3, error: "http_504" });
    const times = t.slack.posts(w.channel).map((p) => p.at);
    expect(times.length).toBeGreaterThanOrEqual(2);
    expect((times[1] as number) - (times[0] as number)).toBeGreaterThanOrEqual(950);
    const sqs = new SQSClient({ endpoint: inject("sqsEndpoint") });
    const dlq = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: t.stack.deadLetterQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    const bodies = (dlq.Messages ?? []).map((m) => m.Body ?? "");
    const mine = bodies.find((b) => b.includes(id));
    expect(mine).toBeDefined();
    expect(JSON.parse(mine as string)).toMatchObject({ notification_id: id, error: "http_504", attempts: 3 });
    for (const b of bodies) expect(b).not.toContain("TOPSECRET");
    sqs.destroy();
  });

  it("fails at once on permanent errors", async () => {
    // The Web API answers JSON: a body that is not (a proxy's page, "oops") is classified by its status alone.
    for (const [answer, code] of [
      [{ json: { ok: false, error: "channel_not_found" } }, "channel_not_found"],
      [{ json: { ok: false, error: "invalid_auth" } }, "invalid_auth"],
      [{ status: 400, text: "invalid_payload" }, "http_400"],
      [{ status: 500, text: "oops" }, "http_500"],
      [{ status: 500 }, "http_500"],
    ] as const) {
      const w = await connected();
      t.slack.script(w.channel, answer);
      const res = await w.post(startedEvent());
      const done = await w.settled(res.body.notifications[0]?.id as string);
      expect(done.status).toBe("failed");
      expect(done.attempts).toBe(1);
      expect(done.error).toBe(code);
      expect(t.slack.posts(w.channel)).toHaveLength(1);
    }
  });

  it("Slack's ok:false ratelimited is retried", async () => {
    const w = await connected();
    t.slack.script(w.channel, { json: { ok: false, error: "ratelimited" } });
    const res = await w.post(startedEvent());
    expect(await w.settled(res.body.notifications[0]?.id as string)).toMatchObject({
      status: "delivered",
      attempts: 2,
    });
  });

  it("a failed notification can be retried (202) and is delivered; other states are 409", async () => {
    const w = await connected();
    t.slack.script(w.channel, { json: { ok: false, error: "not_in_channel" } });
    const res = await w.post(startedEvent());
    const id = res.body.notifications[0]?.id as string;
    expect(await w.settled(id)).toMatchObject({ status: "failed", error: "not_in_channel" });
    const retry = await t.call("POST", `${w.base}/notifications/${id}/retry`, { token: w.token });
    expect(retry.status).toBe(202);
    expect(retry.body).toMatchObject({ id, status: "pending", attempts: 0 });
    expect(retry.body.error).toBeUndefined();
    expect(await w.settled(id)).toMatchObject({ status: "delivered", attempts: 1 });
    const again = await t.call("POST", `${w.base}/notifications/${id}/retry`, { token: w.token });
    expect(again.status).toBe(409);
    expect((await t.call("POST", `${w.base}/notifications/ntf_nope/retry`, { token: w.token })).status).toBe(404);
  });

  it("a disconnect fails pending notifications with not_connected and sends nothing more", async () => {
    const w = await connected();
    t.slack.script(w.channel, { status: 503 });
    const res = await w.post(startedEvent());
    const id = res.body.notifications[0]?.id as string;
    const until = Date.now() + 5000;
    while (t.slack.posts(w.channel).length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect((await t.call("DELETE", `${w.base}/integrations/slack`, { token: w.token })).status).toBe(204);
    expect(await w.settled(id)).toMatchObject({ status: "failed", error: "not_connected" });
    expect(t.slack.posts(w.channel)).toHaveLength(1);

    // Its hint says: connect Slack, then retry it. A retry before that is refused and changes nothing; after, it is
    // delivered on the new connection.
    const retry = () => t.call("POST", `${w.base}/notifications/${id}/retry`, { token: w.token });
    expect(await retry()).toMatchObject({ status: 409, body: { error: { code: "not_connected" } } });
    expect((await w.notification(id)).body).toMatchObject({ status: "failed", error: "not_connected" });
    await w.connect({ bot_token: SECRET, channel: w.channel, threads: false });
    expect((await retry()).status).toBe(202);
    expect(await w.settled(id)).toMatchObject({ status: "delivered", attempts: 1 });
    expect(t.slack.posts(w.channel)).toHaveLength(2);
  });
});

describe("the notification log", () => {
  it("lists newest first with status and type filters and cursor pagination", async () => {
    const w = await connected();
    t.slack.script(w.channel, { json: { ok: false, error: "channel_not_found" } });
    const ids: string[] = [];
    for (const event of [startedEvent(), scanEvent(), scanEvent(), completedEvent(), scanEvent()]) {
      const res = await w.post(event);
      ids.push(res.body.notifications[0]?.id as string);
    }
    for (const id of ids) await w.settled(id);
    type Page = { items: { id: string; status: string; type: string }[]; next_cursor: string | null };
    const all = await t.call<Page>("GET", `${w.base}/notifications`, { token: w.token });
    expect(all.body.items.map((i) => i.id)).toEqual([...ids].reverse());
    expect(all.body.next_cursor).toBeNull();
    const scans = await t.call<Page>("GET", `${w.base}/notifications?type=scan_completed&limit=2`, { token: w.token });
    expect(scans.body.items.map((i) => i.id)).toEqual([ids[4], ids[2]]);
    expect(scans.body.next_cursor).toEqual(expect.any(String));
    const rest = await t.call<Page>(
      "GET",
      `${w.base}/notifications?type=scan_completed&limit=2&cursor=${scans.body.next_cursor}`,
      { token: w.token },
    );
    expect(rest.body.items.map((i) => i.id)).toEqual([ids[1]]);
    expect(rest.body.next_cursor).toBeNull();
    const failed = await t.call<Page>("GET", `${w.base}/notifications?status=failed`, { token: w.token });
    expect(failed.body.items.map((i) => i.id)).toEqual([ids[0]]);
    const pages: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: Page } = await t.call<Page>(
        "GET",
        `${w.base}/notifications?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
        { token: w.token },
      );
      pages.push(...page.body.items.map((i) => i.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(pages).toEqual([...ids].reverse());
    const refused = ["limit=0", "limit=101", "limit=abc", "limit=1e1", "limit=0x10", "limit=%2010"];
    for (const q of [...refused, "status=lost", "type=nope", "cursor=garbage"]) {
      const res = await t.call("GET", `${w.base}/notifications?${q}`, { token: w.token });
      expect(res.status, q).toBe(400);
    }
    expect((await w.notification("ntf_missing")).status).toBe(404);
  });
});

describe("the notification log at scale", () => {
  it("a filtered listing reads a bounded slice per request: short pages with a next_cursor until the end", async () => {
    const w = await t.workspace();
    // 1,100 records straight into the table (delivered or failed ones are never queued): the 3 oldest failed.
    const ddb = new DynamoDBClient({ endpoint: inject("dynamodbEndpoint") });
    const table = process.env.TABLE_NAME as string;
    const at = new Date().toISOString();
    const ids: string[] = [];
    const records = Array.from({ length: 1100 }, (_, i): NotificationRecord => {
      const id = newSortableId("ntf");
      ids.push(id);
      return {
        workspace_id: w.ws,
        id,
        event_id: `evt-${i}`,
        type: i % 2 ? "scan_completed" : "execution_started",
        channel: "#log",
        status: i < 3 ? "failed" : "delivered",
        attempts: 1,
        created_at: at,
        updated_at: at,
        connection_id: "conn_x",
        dispatch_id: id,
      };
    });
    const doc = DynamoDBDocumentClient.from(ddb);
    const batches = Array.from({ length: records.length / 25 }, (_, b) => records.slice(b * 25, b * 25 + 25));
    // The store's own item layout, written 25 at a time: seeding through putNotification would dominate the test.
    for (let b = 0; b < batches.length; b += 4)
      await Promise.all(
        batches.slice(b, b + 4).map(async (batch) => {
          let unprocessed: BatchWriteCommandInput["RequestItems"] = {
            [table]: batch.map((r) => ({
              PutRequest: { Item: { pk: `WS#${w.ws}`, sk: `NOTIF#${r.id}`, kind: "notification", ...r } },
            })),
          };
          while (unprocessed && Object.keys(unprocessed).length)
            unprocessed = (await doc.send(new BatchWriteCommand({ RequestItems: unprocessed }))).UnprocessedItems;
        }),
      );
    ddb.destroy();

    type Page = { items: { id: string; status: string }[]; next_cursor: string | null };
    const get = (q: string) => t.call<Page>("GET", `${w.base}/notifications?${q}`, { token: w.token });
    const first = await get("status=failed&limit=50");
    expect(first.status).toBe(200);
    // The newest 1,000 (the budget) hold no match: an empty page, and not the end.
    expect(first.body.items).toEqual([]);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await get(`status=failed&limit=50&cursor=${first.body.next_cursor}`);
    expect(second.body.items.map((i) => i.id)).toEqual(ids.slice(0, 3).reverse());
    expect(second.body.next_cursor).toBeNull();
    // Cursors stay checked: one not made by this API is 400 invalid_cursor.
    const garbage = await get(`status=failed&cursor=${Buffer.from('{"sk":"TOKEN#x"}').toString("base64url")}`);
    expect(garbage.status).toBe(400);
    expect(garbage.body).toMatchObject({ error: { code: "invalid_cursor" } });
    // Another workspace's token cannot use it to read this one.
    const other = await t.workspace();
    const foreign = await t.call<Page>(
      "GET",
      `${other.base}/notifications?status=failed&cursor=${first.body.next_cursor}`,
      { token: other.token },
    );
    // The cursor is bound to the workspace it was listed in: in another workspace's listing it is refused.
    expect(foreign.status).toBe(400);
    expect(foreign.body).toMatchObject({ error: { code: "invalid_cursor" } });
    // Unfiltered and matching filters still fill their pages.
    const newest = await get("limit=100");
    expect(newest.body.items.map((i) => i.id)).toEqual(ids.slice(-100).reverse());
    const scans = await get("type=scan_completed&limit=100");
    expect(scans.body.items).toHaveLength(100);
    expect(scans.body.next_cursor).toEqual(expect.any(String));
  }, 90_000);
});

describe("secrets", () => {
  it("the credential is never stored, logged or returned in plaintext", async () => {
    const w = await connected();
    const res = await w.post(scanEvent());
    await w.settled(res.body.notifications[0]?.id as string);
    const ddb = new DynamoDBClient({ endpoint: inject("dynamodbEndpoint") });
    const tables = [process.env.TABLE_NAME as string];
    for (const TableName of tables) {
      const scan = await ddb.send(new ScanCommand({ TableName }));
      const dump = JSON.stringify(scan.Items);
      expect(dump).toContain("credential");
      expect(dump).not.toContain("TOPSECRET");
      expect(dump).not.toContain(w.token);
    }
    ddb.destroy();
    const view = await t.call("GET", `${w.base}/integrations/slack`, { token: w.token });
    expect(view.text).not.toContain("TOPSECRET");
    expect(output.join("")).not.toContain("TOPSECRET");
  });
});

describe("concurrency", () => {
  it("the same event posted 10 times at once is accepted once and sent once", async () => {
    const w = await connected();
    const event = scanEvent();
    const replies = await Promise.all(Array.from({ length: 10 }, () => w.post(event)));
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(9);
    const ids = new Set(replies.flatMap((r) => r.body.notifications.map((n) => n.id)));
    expect(ids.size).toBe(1);
    await w.settled([...ids][0] as string);
    await new Promise((r) => setTimeout(r, 300));
    expect(t.slack.posts(w.channel)).toHaveLength(1);
  });
});
