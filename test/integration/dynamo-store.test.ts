import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { beforeAll, describe, expect, inject, it, vi } from "vitest";
import { DynamoStore } from "../../functions/adapters/dynamo-store";
import { EnvelopeCipher } from "../../functions/adapters/envelope-cipher";
import { LocalKeyProvider } from "../../functions/adapters/local-key-provider";
import { withCredential } from "../../functions/core/delivery";
import { eventSchema, type UpgradeEvent } from "../../functions/core/events";
import { newSortableId } from "../../functions/core/identity";
import type { IntegrationRecord, NotificationRecord } from "../../functions/core/ports";
import { ensureTable } from "../../local/resources";
import { startedEvent } from "../fixtures/events";

let store: DynamoStore;
let raw: DynamoDBDocumentClient;
let table: string;
beforeAll(async () => {
  const client = new DynamoDBClient({ endpoint: inject("dynamodbEndpoint") });
  table = `store-${Date.now().toString(36)}`;
  await ensureTable(client, table);
  store = new DynamoStore(client, table);
  raw = DynamoDBDocumentClient.from(client);
});

const now = () => new Date().toISOString();
const notification = (ws: string, overrides: Partial<NotificationRecord> = {}): NotificationRecord => {
  const id = newSortableId("ntf");
  return {
    workspace_id: ws,
    id,
    event_id: "e",
    type: "execution_started",
    channel: "#a",
    status: "pending",
    attempts: 0,
    created_at: now(),
    updated_at: now(),
    connection_id: "c",
    dispatch_id: id,
    ...overrides,
  };
};

/** An accepted event's record, first written (payload hash "h1"), with no notifications in its response. */
const eventRecord = (workspaceId: string, event: UpgradeEvent) => ({
  workspace_id: workspaceId,
  event_id: event.event_id,
  payload_hash: "h1",
  event,
  response: { event_id: event.event_id, notifications: [] },
  created_at: now(),
});

describe("DynamoStore on DynamoDB Local", () => {
  it("stores an event with its notifications once; a second accept returns the first", async () => {
    const event = eventSchema.parse(startedEvent());
    const record = eventRecord("ws_s1", event);
    const n = notification("ws_s1");
    expect(await store.acceptEvent(record, [n])).toEqual({ stored: true });
    const second = await store.acceptEvent({ ...record, payload_hash: "h2" }, [notification("ws_s1")]);
    expect(second).toMatchObject({ stored: false, existing: { payload_hash: "h1" } });
    const list = await store.listNotifications("ws_s1", { limit: 10 });
    expect(list.items.map((i) => i.id)).toEqual([n.id]);
  });

  it("keeps an event's body gzipped and reads it back whole; an item written as a map still reads", async () => {
    const event = eventSchema.parse({ ...startedEvent(), labels: { team: "platform", note: "ü ✓ <&>" } });
    const record = eventRecord("ws_gz", event);
    await store.acceptEvent(record, []);
    const item = (
      await raw.send(new GetCommand({ TableName: table, Key: { pk: "WS#ws_gz", sk: `EVENT#${event.event_id}` } }))
    ).Item;
    expect(item?.event).toBeUndefined();
    expect(item?.event_gz).toBeInstanceOf(Uint8Array);
    expect((item?.event_gz as Uint8Array).byteLength).toBeLessThan(JSON.stringify(event).length);
    expect((await store.getEvent("ws_gz", event.event_id))?.event).toEqual(event);

    // As items were written before the body was compressed.
    const old = { ...record, event_id: "evt-map" };
    await raw.send(
      new PutCommand({ TableName: table, Item: { pk: "WS#ws_gz", sk: "EVENT#evt-map", kind: "event", ...old } }),
    );
    expect(await store.getEvent("ws_gz", "evt-map")).toEqual(old);
  });

  it("an event stored without its notifications (a crash between the writes) gets them on the caller's retry", async () => {
    const event = eventSchema.parse(startedEvent());
    const at = now();
    const ids = [newSortableId("ntf"), newSortableId("ntf")];
    const record = {
      workspace_id: "ws_repair",
      event_id: event.event_id,
      payload_hash: "h-repair",
      event,
      response: {
        event_id: event.event_id,
        notifications: ids.map((id, i) => ({ id, channel: `#c${i}`, status: "pending" as const })),
      },
      connection_id: "conn_r",
      created_at: at,
    };
    // The crash: the event's write landed, its notifications' did not.
    await raw.send(
      new PutCommand({
        TableName: table,
        Item: { pk: "WS#ws_repair", sk: `EVENT#${event.event_id}`, kind: "event", ...record },
      }),
    );
    expect(await store.getNotification("ws_repair", ids[0] as string)).toBeUndefined();
    // The caller, who got no 202, posts the same event again: the first response, and the notifications exist now.
    const retried = await store.acceptEvent({ ...record, created_at: now() }, []);
    expect(retried).toMatchObject({ stored: false, existing: { response: record.response } });
    for (const [i, id] of ids.entries()) {
      expect(await store.getNotification("ws_repair", id)).toMatchObject({
        id,
        channel: `#c${i}`,
        status: "pending",
        attempts: 0,
        connection_id: "conn_r",
        created_at: at,
        dispatch_id: id,
      });
    }
    // A repeat never resets a notification that has moved on.
    await store.startAttempt("ws_repair", ids[0] as string, 3);
    await store.finish("ws_repair", ids[0] as string, { status: "delivered" });
    await store.acceptEvent({ ...record, created_at: now() }, []);
    expect(await store.getNotification("ws_repair", ids[0] as string)).toMatchObject({ status: "delivered" });
  });

  it("counts attempts only while pending and below the limit; finishes once", async () => {
    const n = notification("ws_s2");
    await store.putNotification(n);
    expect((await store.startAttempt("ws_s2", n.id, 3))?.attempts).toBe(1);
    expect((await store.startAttempt("ws_s2", n.id, 3))?.attempts).toBe(2);
    expect((await store.startAttempt("ws_s2", n.id, 3))?.attempts).toBe(3);
    expect(await store.startAttempt("ws_s2", n.id, 3)).toBeUndefined();
    expect(await store.finish("ws_s2", n.id, { status: "failed", error: "http_503" })).toBe(true);
    expect(await store.finish("ws_s2", n.id, { status: "delivered" })).toBe(false);
    expect(await store.getNotification("ws_s2", n.id)).toMatchObject({
      status: "failed",
      error: "http_503",
      attempts: 3,
    });
    const again = await store.requeue("ws_s2", n.id);
    expect(again).toMatchObject({ status: "pending", attempts: 0 });
    expect(again?.error).toBeUndefined();
    expect(again?.dispatch_id).not.toBe(n.dispatch_id);
    expect(await store.requeue("ws_s2", n.id)).toBeUndefined();
  });

  it("records each attempt's start and outcome; marks an uncertain one; a retry starts a fresh count", async () => {
    const n = notification("ws_outcomes");
    await store.putNotification(n);
    expect(await store.startAttempt(n.workspace_id, n.id, 3)).toMatchObject({ attempts: 1 });
    await store.recordOutcome(n.workspace_id, n.id, 1);
    expect(await store.startAttempt(n.workspace_id, n.id, 3)).toMatchObject({ attempts: 2, outcomes: 1 });
    await store.markUncertain(n.workspace_id, n.id);
    await store.deferRetry(n.workspace_id, n.id, "2026-12-02T00:01:00.000Z");
    expect(await store.finish(n.workspace_id, n.id, { status: "failed", error: "http_503" })).toBe(true);
    expect(await store.getNotification(n.workspace_id, n.id)).toMatchObject({
      status: "failed",
      attempts: 2,
      outcomes: 2,
      uncertain: true,
      retry_at: "2026-12-02T00:01:00.000Z",
    });
    // A retry someone asks for starts at once: the wait Slack asked of the last attempt is dropped.
    const retried = await store.requeue(n.workspace_id, n.id);
    expect(retried).toMatchObject({ status: "pending", attempts: 0, outcomes: 0 });
    expect(retried?.retry_at).toBeUndefined();
    // Writing an outcome for a notification that is gone (expired, or another id) creates nothing.
    await store.recordOutcome(n.workspace_id, "ntf_gone", 1);
    await store.markUncertain(n.workspace_id, "ntf_gone");
    expect(await store.getNotification(n.workspace_id, "ntf_gone")).toBeUndefined();
  });

  it("pages newest first through filters without losing or repeating items", async () => {
    const ws = "ws_s3";
    const made: NotificationRecord[] = [];
    for (let i = 0; i < 25; i++) {
      const n = notification(ws, {
        status: i % 3 === 0 ? "failed" : "delivered",
        type: i % 2 ? "scan_completed" : "execution_started",
      });
      made.push(n);
      await store.putNotification(n);
    }
    const expected = made
      .filter((n) => n.status === "failed")
      .map((n) => n.id)
      .reverse();
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listNotifications(ws, { status: "failed", limit: 3, cursor });
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((i) => i.id));
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(expected);
    const both = await store.listNotifications(ws, { status: "delivered", type: "scan_completed", limit: 100 });
    expect(both.items.every((i) => i.status === "delivered" && i.type === "scan_completed")).toBe(true);
    expect(both.items.length).toBe(made.filter((n) => n.status === "delivered" && n.type === "scan_completed").length);
  });

  it("a filtered listing reads at most its budget per request and hands back a cursor, even on an empty page", async () => {
    const client = new DynamoDBClient({ endpoint: inject("dynamodbEndpoint") });
    const table = `store-budget-${Date.now().toString(36)}`;
    await ensureTable(client, table);
    const bounded = new DynamoStore(client, table, { listBudget: { items: 4, pages: 2 } });
    const ws = "ws_s6";
    const made: NotificationRecord[] = [];
    for (let i = 0; i < 25; i++) {
      // Only the three oldest match: everything newer is read and filtered out.
      const n = notification(ws, { status: i < 3 ? "failed" : "delivered" });
      made.push(n);
      await bounded.putNotification(n);
    }
    const pages: { ids: string[]; cursor: string | null }[] = [];
    let cursor: string | undefined;
    do {
      const page = await bounded.listNotifications(ws, { status: "failed", limit: 50, cursor });
      pages.push({ ids: page.items.map((i) => i.id), cursor: page.next_cursor });
      cursor = page.next_cursor ?? undefined;
    } while (cursor && pages.length < 50);
    // 25 records at 4 a request: 22 newer non-matches take 5 requests of nothing, each with a cursor to go on.
    expect(pages[0]).toEqual({ ids: [], cursor: expect.any(String) });
    expect(pages.length).toBe(7);
    expect(pages.flatMap((p) => p.ids)).toEqual(
      made
        .slice(0, 3)
        .map((n) => n.id)
        .reverse(),
    );
    expect(pages.at(-1)?.cursor).toBeNull();
    // Unfiltered pages are unaffected by a budget larger than the page.
    const all = await bounded.listNotifications(ws, { limit: 3 });
    expect(all.items.map((i) => i.id)).toEqual(
      made
        .slice(-3)
        .map((n) => n.id)
        .reverse(),
    );
    // A budget-made cursor is as opaque and as checked as any other.
    const short = await bounded.listNotifications(ws, { status: "failed", limit: 50 });
    const decoded = JSON.parse(Buffer.from(short.next_cursor as string, "base64url").toString("utf8"));
    expect(Object.keys(decoded)).toEqual(["ws", "sk"]);
    // Bound to its workspace: another workspace's listing refuses it.
    await expect(
      bounded.listNotifications("ws_other", { status: "failed", limit: 50, cursor: short.next_cursor as string }),
    ).rejects.toMatchObject({ code: "invalid_cursor" });
    client.destroy();
  });

  it("a cursor cannot reach into another workspace, nor be forged past the notification keys", async () => {
    const forged = (sk: string, ws = "ws_s4") => Buffer.from(JSON.stringify({ ws, sk })).toString("base64url");
    const wellFormed = `NOTIF#ntf_${"0".repeat(24)}`;
    // Well formed, but another workspace's, or not bound to one at all.
    for (const cursor of [
      forged(wellFormed, "ws_other"),
      Buffer.from(JSON.stringify({ sk: wellFormed })).toString("base64url"),
    ])
      await expect(store.listNotifications("ws_s4", { limit: 5, cursor })).rejects.toMatchObject({
        code: "invalid_cursor",
      });
    for (const sk of ["TOKEN#x", "NOTIF#zzzz", "NOTIF#\ud800", `NOTIF#ntf_${"0".repeat(24)}x`]) {
      await expect(store.listNotifications("ws_s4", { limit: 5, cursor: forged(sk) })).rejects.toMatchObject({
        code: "invalid_cursor",
      });
    }
    await expect(store.listNotifications("ws_s4", { limit: 5, cursor: "%%%" })).rejects.toMatchObject({
      code: "invalid_cursor",
    });
  });

  it("refuses an integration item copied under another workspace's key; its credential opens only where sealed", async () => {
    const cipher = new EnvelopeCipher(new LocalKeyProvider(join(mkdtempSync(join(tmpdir(), "store-")), "master.key")));
    const token = "xoxb-victim-SECRET";
    const victim: IntegrationRecord = {
      workspace_id: "ws_victim",
      method: "bot_token",
      channels: [{ name: "#a", conditions: [], mentions: [], mention_on: ["critical"] }],
      enabled: true,
      threads: false,
      conditions: [],
      credential: await cipher.seal(Buffer.from(token), {
        workspace_id: "ws_victim",
        method: "bot_token",
        connection_id: "conn_v",
      }),
      credential_hint: "…CRET",
      connection_id: "conn_v",
      created_at: now(),
      updated_at: now(),
    };
    await store.putIntegration(victim);
    const { Item } = await raw.send(
      new GetCommand({ TableName: table, Key: { pk: "WS#ws_victim", sk: "INTEGRATION#slack" } }),
    );
    // The attack: the whole item, as is, under the attacker's workspace key.
    await raw.send(new PutCommand({ TableName: table, Item: { ...Item, pk: "WS#ws_attacker" } }));
    const warn = vi.fn();
    const watched = new DynamoStore(new DynamoDBClient({ endpoint: inject("dynamodbEndpoint") }), table, { warn });
    try {
      expect(await watched.getIntegration("ws_attacker")).toBeUndefined();
      expect(warn).toHaveBeenCalledWith(expect.stringContaining("refused"), {
        key_workspace_id: "ws_attacker",
        item_workspace_id: "ws_victim",
      });
      const logged = JSON.stringify(warn.mock.calls);
      expect(logged).not.toContain("SECRET");
      expect(logged).not.toContain(victim.credential.ciphertext);
    } finally {
      warn.mockRestore();
    }
    // With the stored id rewritten too the store hands it out, but it opens only under the workspace it was sealed for.
    await raw.send(
      new PutCommand({ TableName: table, Item: { ...Item, pk: "WS#ws_attacker", workspace_id: "ws_attacker" } }),
    );
    const forged = (await store.getIntegration("ws_attacker")) as IntegrationRecord;
    expect(forged.workspace_id).toBe("ws_attacker");
    const use = vi.fn(async (secret: string) => secret);
    await expect(withCredential(cipher, "ws_attacker", forged, use)).rejects.toThrow();
    expect(use).not.toHaveBeenCalled();
    const own = (await store.getIntegration("ws_victim")) as IntegrationRecord;
    expect(await withCredential(cipher, "ws_victim", own, use)).toBe(token);
  });

  it("tokens: by hash, listed per workspace, deleted together", async () => {
    const t = {
      id: "tok_1",
      name: "ci",
      hash: "abc",
      workspace_id: "ws_s5",
      admin: false,
      scopes: ["events:write"],
      created_at: now(),
    };
    await store.putToken(t);
    expect(await store.getTokenByHash("abc")).toMatchObject({ id: "tok_1", workspace_id: "ws_s5" });
    expect((await store.listTokens("ws_s5")).map((x) => x.id)).toEqual(["tok_1"]);
    expect(await store.deleteToken("ws_s5", "tok_1")).toBe(true);
    expect(await store.getTokenByHash("abc")).toBeUndefined();
    expect(await store.deleteToken("ws_s5", "tok_1")).toBe(false);
  });
});

describe("channel health on the channel's pace item", () => {
  it("a post keeps the health, a failure without a post keeps the pace; all channels read in one request", async () => {
    const ws = "ws_HEALTHHEALTHHEAL";
    const t0 = Date.UTC(2026, 11, 1, 10);
    const iso = (ms: number) => new Date(ms).toISOString();
    await store.recordPost(ws, "#a", t0, { status: "delivered", at: iso(t0), connection_id: "conn_1" });
    await store.recordHealth(ws, "#a", {
      status: "failed",
      error: "not_in_channel",
      at: iso(t0 + 5),
      connection_id: "conn_1",
    });
    // A retried post's pace write carries no outcome: the health stays.
    await store.recordPost(ws, "#a", t0 + 9);
    await store.recordHealth(ws, "#b", {
      status: "failed",
      error: "disabled",
      at: iso(t0 + 7),
      connection_id: "conn_1",
    });

    const health = await store.getChannelHealth(ws, ["#a", "#b", "#none", "#a"]);
    expect(Object.fromEntries(health)).toEqual({
      "#a": {
        connection_id: "conn_1",
        status: "failed",
        last_delivered_at: iso(t0),
        last_error: "not_in_channel",
        last_error_at: iso(t0 + 5),
        last_delivered_connection_id: "conn_1",
        last_error_connection_id: "conn_1",
      },
      "#b": {
        connection_id: "conn_1",
        status: "failed",
        last_delivered_at: undefined,
        last_error: "disabled",
        last_error_at: iso(t0 + 7),
        last_delivered_connection_id: undefined,
        last_error_connection_id: "conn_1",
      },
    });
    const n = notification(ws, { channel: "#a" });
    await store.acceptEvent(
      {
        workspace_id: ws,
        event_id: "e",
        payload_hash: "h",
        event: eventSchema.parse(startedEvent()),
        response: { event_id: "e", notifications: [] },
        created_at: now(),
      },
      [n],
    );
    expect(
      (await store.loadDelivery({ workspace_id: ws, notification_id: n.id, event_id: "e", channel: "#a" })).lastPostAt,
    ).toBe(t0 + 9);
    // #b never posted: no pace to keep.
    expect(
      (await store.loadDelivery({ workspace_id: ws, notification_id: n.id, event_id: "e", channel: "#b" })).lastPostAt,
    ).toBeUndefined();
    expect((await store.getChannelHealth(ws, [])).size).toBe(0);
  });
});
