import { gunzipSync, gzipSync } from "node:zlib";
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  TransactionCanceledException,
} from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand,
  type BatchGetCommandInput,
  type BatchGetCommandOutput,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type UpdateCommandInput,
  type UpdateCommandOutput,
} from "@aws-sdk/lib-dynamodb";
import { deliveryGroup } from "../core/delivery";
import { invalid } from "../core/errors";
import { ID_PATTERNS } from "../core/identity";
import { withSettingDefaults } from "../core/settings";
import type { ThreadState } from "../core/threads";
import type {
  ChannelHealthRecord,
  ChannelHealthStore,
  ChannelOutcome,
  DeliveryInputs,
  DeliveryRef,
  DeliveryStore,
  EventRecord,
  EventStore,
  IntegrationRecord,
  IntegrationStore,
  SlackRefs,
  ThreadRecord,
  ListQuery,
  NotificationRecord,
  NotificationStore,
  TokenRecord,
  TokenStore,
  WorkspaceRecord,
  WorkspaceStore,
} from "../core/ports";

/** The single table's shape; the CDK stack and the local stack both build it from these names. */
export const TABLE_KEYS = { partitionKey: "pk", sortKey: "sk", ttl: "expires_at" } as const;

const ws = (id: string) => `WS#${id}`;
const K = {
  workspace: (id: string) => ({ pk: ws(id), sk: "WORKSPACE" }),
  tokenByHash: (hash: string) => ({ pk: `TOKEN#${hash}`, sk: "TOKEN" }),
  tokenInWorkspace: (id: string, tokenId: string) => ({ pk: ws(id), sk: `TOKEN#${tokenId}` }),
  integration: (id: string) => ({ pk: ws(id), sk: "INTEGRATION#slack" }),
  event: (id: string, eventId: string) => ({ pk: ws(id), sk: `EVENT#${eventId}` }),
  notification: (id: string, nid: string) => ({ pk: ws(id), sk: `NOTIF#${nid}` }),
  pace: (id: string, channel: string) => ({ pk: ws(id), sk: `PACE#${channel}` }),
  thread: (id: string, channel: string, key: string) => ({ pk: ws(id), sk: `THREAD#${channel}#${key}` }),
};
const NOTIF_PREFIX = "NOTIF#";
/** Admin tokens are listed under this owner instead of a workspace (no workspace id can take this form). */
export const ADMIN_TOKEN_OWNER = "__admin__";

export interface StoreOptions {
  /** Events and notifications expire (TTL) after this many days. */
  retentionDays?: number;
  listBudget?: ListBudget;
  /** Where the store reports what it refused (the functions pass their logger; the store itself logs nothing). */
  warn?: (message: string, fields: Record<string, unknown>) => void;
}

/** The most one notification-log request reads: records (before filters) and DynamoDB pages. */
export interface ListBudget {
  items: number;
  pages: number;
}
export const LIST_BUDGET: ListBudget = { items: 1000, pages: 10 };

const strip = <T extends Record<string, unknown>>(item: Record<string, unknown> | undefined): T | undefined => {
  if (!item) return undefined;
  const { pk: _pk, sk: _sk, kind: _kind, expires_at: _ttl, delivery_group: _group, requeued_by: _by, ...rest } = item;
  return rest as T;
};

/**
 * The API only ever writes an item under its own workspace's key: one that says otherwise was copied or forged, and
 * is nobody's integration. Ids only in the log line: they are not secrets, the credential is never read.
 */
function integrationOf(
  item: Record<string, unknown> | undefined,
  workspaceId: string,
  warn: NonNullable<StoreOptions["warn"]>,
): IntegrationRecord | undefined {
  const record = strip<IntegrationRecord & Record<string, unknown>>(item);
  if (record && record.workspace_id !== workspaceId) {
    warn("integration item refused: its workspace_id is not the workspace of its key", {
      key_workspace_id: workspaceId,
      item_workspace_id: String(record.workspace_id).slice(0, 100),
    });
    return undefined;
  }
  return record && withSettingDefaults(record);
}

/**
 * An event item keeps the event's body gzipped (`event_gz`): DynamoDB bills a write per KB and storage per byte, and
 * a 2 KB event's JSON is about 480 bytes so, which makes its write one unit instead of three. Items written before
 * hold the body as a map (`event`) and read as they are.
 */
function eventItem(record: EventRecord) {
  const { event, ...rest } = record;
  return { ...rest, event_gz: gzipSync(JSON.stringify(event)) };
}

function eventOf(item: Record<string, unknown> | undefined): EventRecord | undefined {
  const stored = strip<Omit<EventRecord, "event"> & { event?: EventRecord["event"]; event_gz?: unknown }>(item);
  if (!stored) return undefined;
  const { event_gz: gz, ...rest } = stored;
  if (gz instanceof Uint8Array)
    return { ...rest, event: JSON.parse(gunzipSync(gz).toString("utf8")) as EventRecord["event"] };
  return rest as EventRecord;
}

/** The notifications an event made, as they were first written (newNotification at the event's time). */
function notificationsOf(event: EventRecord): NotificationRecord[] {
  return event.response.notifications.map((n) => ({
    workspace_id: event.workspace_id,
    id: n.id,
    event_id: event.event_id,
    type: event.event.type,
    channel: n.channel,
    status: "pending",
    attempts: 0,
    created_at: event.created_at,
    updated_at: event.created_at,
    connection_id: event.connection_id ?? "",
    dispatch_id: n.id,
  }));
}

const isConditionFailure = (err: unknown) =>
  err instanceof ConditionalCheckFailedException ||
  (err instanceof TransactionCanceledException &&
    (err.CancellationReasons ?? []).some((r) => r.Code === "ConditionalCheckFailed"));

/** A page's end as the next request starts from it, bound to the workspace it was listed in. */
export const encodeCursor = (workspaceId: string, sk: string) =>
  Buffer.from(JSON.stringify({ ws: workspaceId, sk }), "utf8").toString("base64url");
export function decodeCursor(cursor: string, workspaceId: string): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    const { ws: boundTo, sk } = parsed as { ws?: unknown; sk?: unknown };
    // Only a key this API hands out, for this workspace: a notification's, so no other start key reaches DynamoDB.
    if (
      boundTo === workspaceId &&
      typeof sk === "string" &&
      sk.startsWith(NOTIF_PREFIX) &&
      ID_PATTERNS.notification.test(sk.slice(NOTIF_PREFIX.length))
    )
      return sk;
  } catch {
    // fall through to invalid_cursor below
  }
  throw invalid("invalid_cursor", "cursor is not one this API returned for this workspace's log.");
}

/** Every record of the service in one DynamoDB table, partitioned by workspace so a workspace's stream stays in order. */
export class DynamoStore
  implements
    DeliveryStore,
    WorkspaceStore,
    TokenStore,
    IntegrationStore,
    EventStore,
    NotificationStore,
    ChannelHealthStore
{
  private readonly doc: DynamoDBDocumentClient;

  private readonly retentionDays: number;
  private readonly listBudget: ListBudget;
  private readonly warn: NonNullable<StoreOptions["warn"]>;

  constructor(
    client: DynamoDBClient,
    private readonly table: string,
    opts: StoreOptions = {},
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    this.retentionDays = opts.retentionDays ?? 30;
    this.listBudget = opts.listBudget ?? LIST_BUDGET;
    this.warn = opts.warn ?? (() => {});
  }

  private expiry(fromIso: string) {
    return Math.floor(Date.parse(fromIso) / 1000) + this.retentionDays * 86_400;
  }

  private tokenItems(t: TokenRecord) {
    const byHash = { ...K.tokenByHash(t.hash), kind: "token", ...t };
    const listing = { ...K.tokenInWorkspace(t.workspace_id ?? ADMIN_TOKEN_OWNER, t.id), kind: "token_ref", ...t };
    return [byHash, listing];
  }

  async createWorkspace(w: WorkspaceRecord, token: TokenRecord): Promise<void> {
    await this.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.table,
              Item: { ...K.workspace(w.workspace_id), kind: "workspace", ...w },
              ConditionExpression: "attribute_not_exists(pk)",
            },
          },
          ...this.tokenItems(token).map((Item) => ({
            Put: { TableName: this.table, Item, ConditionExpression: "attribute_not_exists(pk)" },
          })),
        ],
      }),
    );
  }

  async getWorkspace(id: string): Promise<WorkspaceRecord | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: K.workspace(id) }));
    return strip<WorkspaceRecord & Record<string, unknown>>(out.Item);
  }

  /** Stores a token (both its lookup-by-hash item and its listing under the workspace). Idempotent for the admin token. */
  async putToken(t: TokenRecord): Promise<void> {
    await this.doc.send(
      new TransactWriteCommand({
        TransactItems: this.tokenItems(t).map((Item) => ({ Put: { TableName: this.table, Item } })),
      }),
    );
  }

  async getTokenByHash(hash: string): Promise<TokenRecord | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: K.tokenByHash(hash), ConsistentRead: true }),
    );
    return strip<TokenRecord & Record<string, unknown>>(out.Item);
  }

  async listTokens(workspaceId: string): Promise<TokenRecord[]> {
    const items: TokenRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: "pk = :pk AND begins_with(sk, :p)",
          ExpressionAttributeValues: { ":pk": ws(workspaceId), ":p": "TOKEN#" },
          ExclusiveStartKey: start,
        }),
      );
      for (const i of out.Items ?? []) items.push(strip<TokenRecord & Record<string, unknown>>(i) as TokenRecord);
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** Deletes both items of a token; false when the workspace has no such token. */
  async deleteToken(workspaceId: string, tokenId: string): Promise<boolean> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: K.tokenInWorkspace(workspaceId, tokenId), ConsistentRead: true }),
    );
    const hash = out.Item?.hash;
    if (typeof hash !== "string") return false;
    await this.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Delete: { TableName: this.table, Key: K.tokenInWorkspace(workspaceId, tokenId) } },
          { Delete: { TableName: this.table, Key: K.tokenByHash(hash) } },
        ],
      }),
    );
    return true;
  }

  /** Revokes a token that has no workspace listing (the admin token). */
  async deleteTokenByHash(hash: string): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.table, Key: K.tokenByHash(hash) }));
  }

  async getIntegration(workspaceId: string): Promise<IntegrationRecord | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: K.integration(workspaceId), ConsistentRead: true }),
    );
    return integrationOf(out.Item, workspaceId, this.warn);
  }

  async putIntegration(r: IntegrationRecord): Promise<void> {
    await this.doc.send(
      new PutCommand({ TableName: this.table, Item: { ...K.integration(r.workspace_id), kind: "integration", ...r } }),
    );
  }

  /** Erases the integration item, credential included; false when there was none. */
  async deleteIntegration(workspaceId: string): Promise<boolean> {
    const out = await this.doc.send(
      new DeleteCommand({ TableName: this.table, Key: K.integration(workspaceId), ReturnValues: "ALL_OLD" }),
    );
    return out.Attributes !== undefined;
  }

  /**
   * Stores an event and its notifications: the commit point of the outbox, without a transaction (which DynamoDB
   * bills double). The event is written once, conditionally; it names its notifications (ids and channels in its
   * response, the connection beside them), so they can be rebuilt exactly. Then each notification is written only if
   * absent. A crash between the two leaves an event whose caller got no 202 and retries: the repeat finds the event,
   * writes the notifications that are missing and answers with the first response. Returns the record already
   * stored under this event_id when there is one.
   */
  async acceptEvent(
    event: EventRecord,
    notifications: NotificationRecord[],
  ): Promise<{ stored: true } | { stored: false; existing: EventRecord }> {
    const eventPut = {
      TableName: this.table,
      Item: {
        ...K.event(event.workspace_id, event.event_id),
        kind: "event",
        expires_at: this.expiry(event.created_at),
        ...eventItem(event),
      },
      ConditionExpression: "attribute_not_exists(pk)",
    };
    try {
      if (notifications.length > 1) {
        // An event for several channels is one write with all its notifications: each channel then sees events
        // accepted at the same time in one order, the order of these writes. Separate puts could commit in one order
        // for one channel and in another for the next.
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [{ Put: eventPut }, ...notifications.map((n) => ({ Put: this.notificationPut(n) }))],
          }),
        );
        return { stored: true };
      }
      await this.doc.send(new PutCommand(eventPut));
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      const existing = await this.getEvent(event.workspace_id, event.event_id);
      if (!existing) throw err;
      if (existing.payload_hash === event.payload_hash) await this.putMissingNotifications(notificationsOf(existing));
      return { stored: false, existing };
    }
    // One notification (or none): its own put after the event's, which stays the commit point (a repeat of the
    // event writes it if this process stopped in between).
    await this.putMissingNotifications(notifications);
    return { stored: true };
  }

  /** Writes each notification that does not exist yet; one that does (even if already delivered) is left alone. */
  private async putMissingNotifications(notifications: NotificationRecord[]) {
    await Promise.all(
      notifications.map(async (n) => {
        try {
          await this.doc.send(new PutCommand(this.notificationPut(n)));
        } catch (err) {
          if (!isConditionFailure(err)) throw err;
        }
      }),
    );
  }

  async getEvent(workspaceId: string, eventId: string): Promise<EventRecord | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: K.event(workspaceId, eventId), ConsistentRead: true }),
    );
    return eventOf(out.Item);
  }

  /** A notification written only if it is not there yet: at accept, alone or in the event's transaction. */
  private notificationPut(n: NotificationRecord) {
    return { TableName: this.table, Item: this.notificationItem(n), ConditionExpression: "attribute_not_exists(pk)" };
  }

  private notificationItem(n: NotificationRecord) {
    return {
      ...K.notification(n.workspace_id, n.id),
      kind: "notification",
      expires_at: this.expiry(n.created_at),
      // The pipe's FIFO message group: one channel of one workspace, in order.
      delivery_group: deliveryGroup(n.workspace_id, n.channel),
      ...n,
    };
  }

  /** A notification written as it is, whatever is there (the tests and the listing bench seed the log with it). */
  async putNotification(n: NotificationRecord): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.table, Item: this.notificationItem(n) }));
  }

  async acceptNotifications(notifications: NotificationRecord[]): Promise<void> {
    if (notifications.length > 1) {
      await this.doc.send(
        new TransactWriteCommand({ TransactItems: notifications.map((n) => ({ Put: this.notificationPut(n) })) }),
      );
      return;
    }
    await this.putMissingNotifications(notifications);
  }

  async getNotifications(workspaceId: string, ids: string[]): Promise<Map<string, NotificationRecord>> {
    const items = await this.batchGet(
      ids.map((id) => K.notification(workspaceId, id)),
      { ConsistentRead: true },
    );
    const found = [...items.values()].map((item) => strip<NotificationRecord & Record<string, unknown>>(item));
    return new Map(found.filter((n) => n !== undefined).map((n) => [n.id, n]));
  }

  async getNotification(workspaceId: string, id: string): Promise<NotificationRecord | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: K.notification(workspaceId, id), ConsistentRead: true }),
    );
    return strip<NotificationRecord & Record<string, unknown>>(out.Item);
  }

  /**
   * Newest first. A filtered listing reads at most `LIST_BUDGET` records per request: when the budget runs out before
   * `limit` matches are found, the page is short (possibly empty) and `next_cursor` says where to go on. Without the
   * bound a filter that matches little reads the whole partition in one request, and months of history reach API
   * Gateway's 29 s timeout.
   */
  async listNotifications(
    workspaceId: string,
    q: ListQuery,
  ): Promise<{ items: NotificationRecord[]; next_cursor: string | null }> {
    const filters: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ":pk": ws(workspaceId), ":p": NOTIF_PREFIX };
    if (q.status) {
      filters.push("#status = :status");
      names["#status"] = "status";
      values[":status"] = q.status;
    }
    if (q.type) {
      filters.push("#type = :type");
      names["#type"] = "type";
      values[":type"] = q.type;
    }
    const items: NotificationRecord[] = [];
    let start: Record<string, unknown> | undefined = q.cursor
      ? { pk: ws(workspaceId), sk: decodeCursor(q.cursor, workspaceId) }
      : undefined;
    let read = 0;
    let pages = 0;
    while (items.length < q.limit && read < this.listBudget.items && pages < this.listBudget.pages) {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: "pk = :pk AND begins_with(sk, :p)",
          FilterExpression: filters.length ? filters.join(" AND ") : undefined,
          ExpressionAttributeNames: filters.length ? names : undefined,
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          ExclusiveStartKey: start,
          // Limit counts records read, before the filter: it is what keeps a request's work bounded.
          Limit: Math.min(
            filters.length ? Math.max(q.limit, 100) : q.limit - items.length,
            this.listBudget.items - read,
          ),
        }),
      );
      pages++;
      read += out.ScannedCount ?? 0;
      for (const i of out.Items ?? [])
        items.push(strip<NotificationRecord & Record<string, unknown>>(i) as NotificationRecord);
      start = out.LastEvaluatedKey;
      if (!start) break;
    }
    if (items.length > q.limit) {
      // The last page held more matches than fit: go on after the last one returned.
      const page = items.slice(0, q.limit);
      return {
        items: page,
        next_cursor: encodeCursor(workspaceId, `${NOTIF_PREFIX}${(page.at(-1) as NotificationRecord).id}`),
      };
    }
    // Everything read up to `start` is accounted for (returned or filtered out), so the next request starts there.
    const sk = start?.sk;
    return { items, next_cursor: typeof sk === "string" ? encodeCursor(workspaceId, sk) : null };
  }

  /**
   * Everything one delivery reads, in one BatchGetItem (strongly consistent): the notification, the integration, the
   * event and the channel's last post. A queue message from before event_id and channel were in it costs one more read.
   */
  async loadDelivery(ref: DeliveryRef): Promise<DeliveryInputs> {
    let eventId = ref.event_id;
    let channel = ref.channel;
    if (eventId === undefined || channel === undefined) {
      const n = await this.getNotification(ref.workspace_id, ref.notification_id);
      if (!n) return {};
      eventId = n.event_id;
      channel = n.channel;
    }
    const keys = [
      K.notification(ref.workspace_id, ref.notification_id),
      K.integration(ref.workspace_id),
      K.event(ref.workspace_id, eventId),
      K.pace(ref.workspace_id, channel),
    ];
    const items = await this.batchGet(keys, { ConsistentRead: true });
    const at = items.get(K.pace(ref.workspace_id, channel).sk)?.last_post_at;
    return {
      notification: strip<NotificationRecord & Record<string, unknown>>(
        items.get(K.notification(ref.workspace_id, ref.notification_id).sk),
      ),
      integration: integrationOf(items.get(K.integration(ref.workspace_id).sk), ref.workspace_id, this.warn),
      event: eventOf(items.get(K.event(ref.workspace_id, eventId).sk)),
      lastPostAt: typeof at === "number" ? at : undefined,
    };
  }

  /** Items of one partition by sort key, in BatchGetItem requests (up to 100 keys), retrying unprocessed keys. */
  private async batchGet(
    keys: { pk: string; sk: string }[],
    opts: { ConsistentRead?: boolean; ProjectionExpression?: string } = {},
  ): Promise<Map<string, Record<string, unknown>>> {
    const items = new Map<string, Record<string, unknown>>();
    let request: BatchGetCommandInput["RequestItems"] = { [this.table]: { Keys: keys, ...opts } };
    for (let round = 0; request && Object.keys(request).length; round++) {
      if (round > 0) await new Promise((r) => setTimeout(r, 20 * 2 ** Math.min(round, 5)));
      const out: BatchGetCommandOutput = await this.doc.send(new BatchGetCommand({ RequestItems: request }));
      for (const item of out.Responses?.[this.table] ?? []) items.set(String(item.sk), item);
      request = out.UnprocessedKeys;
      if (round > 8 && request && Object.keys(request).length) throw new Error("DynamoDB left keys unprocessed");
    }
    return items;
  }

  async startAttempt(workspaceId: string, id: string, maxAttempts: number): Promise<NotificationRecord | undefined> {
    const out = await this.updateIf({
      TableName: this.table,
      Key: K.notification(workspaceId, id),
      UpdateExpression: "SET attempts = attempts + :one, updated_at = :now",
      ConditionExpression: "#status = :pending AND attempts < :max",
      ExpressionAttributeNames: { "#status": "status" },
      ExpressionAttributeValues: {
        ":one": 1,
        ":now": new Date().toISOString(),
        ":pending": "pending",
        ":max": maxAttempts,
      },
      ReturnValues: "ALL_NEW",
    });
    return out && strip<NotificationRecord & Record<string, unknown>>(out.Attributes);
  }

  /** pending → delivered/failed, once: the condition makes a redelivered message a no-op. */
  async finish(
    workspaceId: string,
    id: string,
    outcome: ({ status: "delivered" } & SlackRefs) | { status: "failed"; error: string },
  ): Promise<boolean> {
    const now = new Date().toISOString();
    const refs =
      outcome.status === "delivered"
        ? Object.fromEntries(
            (["slack_ts", "thread_ts", "thread_update"] as const)
              .filter((k) => outcome[k] !== undefined)
              .map((k) => [k, outcome[k]]),
          )
        : {};
    const setRefs = Object.keys(refs)
      .map((k) => `, ${k} = :${k}`)
      .join("");
    const out = await this.updateIf({
      TableName: this.table,
      Key: K.notification(workspaceId, id),
      UpdateExpression:
        outcome.status === "delivered"
          ? `SET #status = :s, updated_at = :now, delivered_at = :now, outcomes = attempts${setRefs} REMOVE #error`
          : "SET #status = :s, updated_at = :now, #error = :e, outcomes = attempts",
      ConditionExpression: "#status = :pending",
      ExpressionAttributeNames: { "#status": "status", "#error": "error" },
      ExpressionAttributeValues: {
        ":s": outcome.status,
        ":now": now,
        ":pending": "pending",
        ...(outcome.status === "failed" ? { ":e": outcome.error } : {}),
        ...Object.fromEntries(Object.entries(refs).map(([k, v]) => [`:${k}`, v])),
      },
    });
    return out !== undefined;
  }

  /**
   * failed → pending with a fresh attempt budget. `api` (the retry route): the pipe sees the change and queues it
   * again. `redrive` (the operator CLI): the dead-lettered message itself is moved back, so the pipe ignores it.
   */
  async requeue(
    workspaceId: string,
    id: string,
    by: "api" | "redrive" = "api",
    connectionId?: string,
  ): Promise<NotificationRecord | undefined> {
    const out = await this.updateIf({
      TableName: this.table,
      Key: K.notification(workspaceId, id),
      UpdateExpression: `SET #status = :pending, attempts = :zero, outcomes = :zero, updated_at = :now, dispatch_id = :d, requeued_by = :by${connectionId ? ", connection_id = :c" : ""} REMOVE #error, delivered_at, retry_at`,
      ConditionExpression: "#status = :failed",
      ExpressionAttributeNames: { "#status": "status", "#error": "error" },
      ExpressionAttributeValues: {
        ":pending": "pending",
        ":failed": "failed",
        ":zero": 0,
        ":by": by,
        ":now": new Date().toISOString(),
        ":d": `${id}.${Date.now()}`,
        ...(connectionId ? { ":c": connectionId } : {}),
      },
      ReturnValues: "ALL_NEW",
    });
    return out && strip<NotificationRecord & Record<string, unknown>>(out.Attributes);
  }

  async recordOutcome(workspaceId: string, id: string, attempt: number): Promise<void> {
    await this.setOnNotification(workspaceId, id, "SET outcomes = :v", attempt);
  }

  async markUncertain(workspaceId: string, id: string): Promise<void> {
    await this.setOnNotification(workspaceId, id, "SET uncertain = :v", true);
  }

  async deferRetry(workspaceId: string, id: string, at: string): Promise<void> {
    await this.setOnNotification(workspaceId, id, "SET retry_at = :v", at);
  }

  /** An UpdateItem whose condition may fail: undefined then (a redelivery, a race lost), any other error thrown. */
  private async updateIf(input: UpdateCommandInput): Promise<UpdateCommandOutput | undefined> {
    try {
      return await this.doc.send(new UpdateCommand(input));
    } catch (err) {
      if (isConditionFailure(err)) return undefined;
      throw err;
    }
  }

  /** One attribute of a notification that still exists; one that is gone (expired, unknown) is not created. */
  private async setOnNotification(workspaceId: string, id: string, expression: string, value: unknown) {
    await this.updateIf({
      TableName: this.table,
      Key: K.notification(workspaceId, id),
      UpdateExpression: expression,
      ConditionExpression: "attribute_exists(pk)",
      ...(value === undefined ? {} : { ExpressionAttributeValues: { ":v": value } }),
    });
  }

  async getThread(workspaceId: string, channel: string, key: string): Promise<ThreadRecord | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: K.thread(workspaceId, channel, key), ConsistentRead: true }),
    );
    return strip<ThreadRecord & Record<string, unknown>>(out.Item);
  }

  async openThread(thread: ThreadRecord, opts: { replacing?: string; resetAttemptsOf?: string }): Promise<boolean> {
    const put = {
      TableName: this.table,
      Item: {
        ...K.thread(thread.workspace_id, thread.channel, thread.key),
        kind: "thread",
        ...thread,
        expires_at: this.expiry(thread.updated_at),
      },
      ...(opts.replacing === undefined
        ? { ConditionExpression: "attribute_not_exists(pk)" }
        : { ConditionExpression: "ts = :old", ExpressionAttributeValues: { ":old": opts.replacing } }),
    };
    try {
      if (opts.resetAttemptsOf === undefined) {
        await this.doc.send(new PutCommand(put));
      } else {
        // The status post used attempts of the notification's budget: its reply gets a full one, in the same write.
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: put },
              {
                Update: {
                  TableName: this.table,
                  Key: K.notification(thread.workspace_id, opts.resetAttemptsOf),
                  UpdateExpression: "SET attempts = :zero, outcomes = :zero",
                  ConditionExpression: "#status = :pending",
                  ExpressionAttributeNames: { "#status": "status" },
                  ExpressionAttributeValues: { ":zero": 0, ":pending": "pending" },
                },
              },
            ],
          }),
        );
      }
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  async applyToThread(thread: ThreadRecord, state: ThreadState, notificationId: string): Promise<void> {
    const now = new Date().toISOString();
    await this.updateIf({
      TableName: this.table,
      Key: K.thread(thread.workspace_id, thread.channel, thread.key),
      UpdateExpression:
        "SET #state = :state, seq = seq + :one, last_applied = :n, updated_at = :now, expires_at = :exp",
      ConditionExpression: "ts = :ts AND last_applied <> :n",
      ExpressionAttributeNames: { "#state": "state" },
      ExpressionAttributeValues: {
        ":state": state,
        ":one": 1,
        ":n": notificationId,
        ":now": now,
        ":exp": this.expiry(now),
        ":ts": thread.ts,
      },
    });
  }

  async markShown(thread: ThreadRecord, seq: number): Promise<void> {
    await this.updateIf({
      TableName: this.table,
      Key: K.thread(thread.workspace_id, thread.channel, thread.key),
      UpdateExpression: "SET shown_seq = :seq",
      ConditionExpression: "ts = :ts AND shown_seq < :seq",
      ExpressionAttributeValues: { ":seq": seq, ":ts": thread.ts },
    });
  }

  async startUpdate(workspaceId: string, id: string, maxAttempts: number): Promise<number | undefined> {
    const out = await this.updateIf({
      TableName: this.table,
      Key: K.notification(workspaceId, id),
      UpdateExpression: "SET update_attempts = if_not_exists(update_attempts, :zero) + :one",
      ConditionExpression:
        "thread_update = :pending AND (attribute_not_exists(update_attempts) OR update_attempts < :max)",
      ExpressionAttributeValues: { ":zero": 0, ":one": 1, ":pending": "pending", ":max": maxAttempts },
      ReturnValues: "UPDATED_NEW",
    });
    return out && Number(out.Attributes?.update_attempts);
  }

  /** The status message's update is over: made, or failed with `error` (which changes the record: updated_at too). */
  async finishUpdate(workspaceId: string, id: string, error?: string): Promise<void> {
    await this.updateIf({
      TableName: this.table,
      Key: K.notification(workspaceId, id),
      UpdateExpression:
        error === undefined ? "REMOVE thread_update" : "SET thread_error = :e, updated_at = :now REMOVE thread_update",
      ConditionExpression: "attribute_exists(pk)",
      ...(error === undefined ? {} : { ExpressionAttributeValues: { ":e": error, ":now": new Date().toISOString() } }),
    });
  }

  /**
   * The channel's item (`PACE#<channel>`): its last post, which paces the next one, and its health, the outcome of
   * its latest finished notification. A delivery writes both in the one write it makes after the post anyway.
   */
  async recordPost(workspaceId: string, channel: string, at: number, outcome?: ChannelOutcome): Promise<void> {
    await this.updateChannel(workspaceId, channel, at, outcome);
  }

  async recordHealth(workspaceId: string, channel: string, outcome: ChannelOutcome): Promise<void> {
    await this.updateChannel(workspaceId, channel, undefined, outcome);
  }

  /** Updates only what it is given, so a post keeps the health and a failure without a post keeps the pace. */
  private async updateChannel(workspaceId: string, channel: string, at?: number, outcome?: ChannelOutcome) {
    const sets = ["kind = :kind", "expires_at = :exp"];
    // Kept as long as the notifications it reports on.
    const values: Record<string, unknown> = {
      ":kind": "pace",
      ":exp": this.expiry(outcome?.at ?? new Date(at ?? Date.now()).toISOString()),
    };
    if (at !== undefined) {
      sets.push("last_post_at = :at");
      values[":at"] = at;
    }
    if (outcome) {
      sets.push("health_status = :hs", "health_connection_id = :hc");
      values[":hs"] = outcome.status;
      values[":hc"] = outcome.connection_id;
      values[":hat"] = outcome.at;
      if (outcome.status === "delivered") sets.push("last_delivered_at = :hat", "last_delivered_connection_id = :hc");
      else {
        sets.push("last_error = :he", "last_error_at = :hat", "last_error_connection_id = :hc");
        values[":he"] = outcome.error;
      }
    }
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: K.pace(workspaceId, channel),
        UpdateExpression: `SET ${sets.join(", ")}`,
        ExpressionAttributeValues: values,
      }),
    );
  }

  /** The channels' health in one BatchGetItem (an integration has at most 20 channels). */
  async getChannelHealth(workspaceId: string, channels: string[]): Promise<Map<string, ChannelHealthRecord>> {
    const unique = [...new Set(channels)];
    const health = new Map<string, ChannelHealthRecord>();
    if (!unique.length) return health;
    const items = await this.batchGet(
      unique.map((c) => K.pace(workspaceId, c)),
      {
        ProjectionExpression:
          "sk, health_status, health_connection_id, last_delivered_at, last_error, last_error_at, " +
          "last_delivered_connection_id, last_error_connection_id",
      },
    );
    for (const channel of unique) {
      const item = items.get(K.pace(workspaceId, channel).sk);
      const status = item?.health_status;
      if (!item || (status !== "delivered" && status !== "failed") || typeof item.health_connection_id !== "string")
        continue;
      const str = (v: unknown) => (typeof v === "string" ? v : undefined);
      health.set(channel, {
        connection_id: item.health_connection_id,
        status,
        last_delivered_at: str(item.last_delivered_at),
        last_error: str(item.last_error),
        last_error_at: str(item.last_error_at),
        last_delivered_connection_id: str(item.last_delivered_connection_id),
        last_error_connection_id: str(item.last_error_connection_id),
      });
    }
    return health;
  }
}
