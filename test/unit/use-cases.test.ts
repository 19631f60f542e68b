import { beforeEach, describe, expect, it } from "vitest";
import type { DomainError } from "../../functions/core/errors";
import { hashToken, SCOPES } from "../../functions/core/identity";
import { API } from "../../functions/core/operational";
import type {
  NotificationRecord,
  AuthTestResult,
  CredentialBinding,
  CredentialCipher,
  SealedCredential,
  SlackAuth,
  ThreadRecord,
} from "../../functions/core/ports";
import { acceptEvent, previewEvent } from "../../functions/core/use-cases/events";
import {
  connectIntegration,
  disconnectIntegration,
  getIntegration,
  sendTestMessage,
} from "../../functions/core/use-cases/integration";
import { getNotification, listNotifications, retryNotification } from "../../functions/core/use-cases/notifications";
import { createToken, deleteToken, listTokens } from "../../functions/core/use-cases/tokens";
import { createWorkspace } from "../../functions/core/use-cases/workspaces";
import { failedEvent, scanEvent, startedEvent } from "../fixtures/events";
import { FakeStore } from "../fixtures/fake-stores";

/** The DomainError code a promise rejects with. */
const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => "resolved",
    (e: DomainError) => e.code ?? `not a DomainError: ${String(e)}`,
  );

/** Seals by keeping a copy (so tests can see what was sealed) and remembers every plaintext buffer it saw. */
class SpyCipher implements CredentialCipher {
  sealed: { plain: string; binding: CredentialBinding; buffer: Buffer }[] = [];
  opened: Buffer[] = [];
  async seal(plaintext: Buffer, binding: CredentialBinding): Promise<SealedCredential> {
    this.sealed.push({ plain: plaintext.toString(), binding, buffer: plaintext });
    return {
      v: 2,
      key_id: "k",
      wrapped_key: "",
      iv: "",
      tag: "",
      ciphertext: Buffer.from(plaintext).toString("base64"),
    };
  }
  async open(sealed: SealedCredential): Promise<Buffer> {
    const b = Buffer.from(sealed.ciphertext, "base64");
    this.opened.push(b);
    return b;
  }
}

const IDENTITY = { team: "Acme", team_id: "T0001", user: "medulla", user_id: "U0001", url: "https://acme.slack.com/" };

/** auth.test as scripted: `answers` in turn, then ok with chat:write; remembers the tokens it was asked about. */
class ScriptedAuth implements SlackAuth {
  tokens: string[] = [];
  constructor(readonly answers: AuthTestResult[] = []) {}
  async identify(token: string): Promise<AuthTestResult> {
    this.tokens.push(token);
    return this.answers.shift() ?? { status: "ok", identity: IDENTITY, scopes: ["chat:write", "channels:read"] };
  }
}

const WS = "ws_AAAAAAAAAAAAAAAA";
let store: FakeStore;
let cipher: SpyCipher;
let auth: ScriptedAuth;

beforeEach(() => {
  store = new FakeStore();
  cipher = new SpyCipher();
  auth = new ScriptedAuth();
});

const connect = (body: Record<string, unknown> = { bot_token: "xoxb-1-secret", channels: ["#a", "#b"] }) =>
  connectIntegration({ integrations: store, cipher, auth }, WS, body);

describe("workspaces and tokens", () => {
  it("a new workspace stores its first token by hash only, with every workspace scope", async () => {
    const out = await createWorkspace({ workspaces: store }, { name: "platform" });
    expect(store.workspaces.get(out.workspace_id)?.name).toBe("platform");
    const [record] = [...store.tokens.values()];
    expect(record).toMatchObject({ workspace_id: out.workspace_id, scopes: [...SCOPES], hash: hashToken(out.token) });
    expect(JSON.stringify(record)).not.toContain(out.token);
  });

  it("a token may only grant scopes its creator has; the admin may grant any; unknown workspaces are 404", async () => {
    const { workspace_id: ws } = await createWorkspace({ workspaces: store }, { name: "w" });
    const deps = { workspaces: store, tokens: store };
    const narrow = { kind: "workspace" as const, tokenId: "t", workspaceId: ws, scopes: ["tokens:write" as const] };
    expect(await codeOf(createToken(deps, narrow, ws, { name: "x", scopes: ["events:write"] }))).toBe("forbidden");
    const admin = { kind: "admin" as const, tokenId: "a" };
    const { record, token } = await createToken(deps, admin, ws, { name: "engine", scopes: ["events:write"] });
    expect(store.tokens.get(record.id)?.hash).toBe(hashToken(token));
    expect(await codeOf(createToken(deps, admin, "ws_BBBBBBBBBBBBBBBB", { name: "x", scopes: ["events:write"] }))).toBe(
      "not_found",
    );
  });

  it("lists oldest first and deletes; deleting an unknown token is 404", async () => {
    const { workspace_id: ws } = await createWorkspace({ workspaces: store }, { name: "w" });
    const deps = { workspaces: store, tokens: store };
    const admin = { kind: "admin" as const, tokenId: "a" };
    const second = await createToken(deps, admin, ws, { name: "second", scopes: ["events:write"] });
    second.record.created_at = "2999-01-01T00:00:00.000Z";
    expect((await listTokens(deps, ws)).map((t) => t.name)).toEqual(["default", "second"]);
    await deleteToken(deps, ws, second.record.id);
    expect(store.tokens.has(second.record.id)).toBe(false);
    expect(await codeOf(deleteToken(deps, ws, second.record.id))).toBe("not_found");
  });
});

describe("connecting Slack", () => {
  it("seals the credential for this workspace, zeroes the plaintext and stores only a hint", async () => {
    const record = await connect();
    expect(cipher.sealed).toHaveLength(1);
    expect(cipher.sealed[0]).toMatchObject({
      plain: "xoxb-1-secret",
      binding: { workspace_id: WS, method: "bot_token", connection_id: record.connection_id },
    });
    expect(cipher.sealed[0]?.buffer.every((b) => b === 0)).toBe(true);
    expect(record).toMatchObject({ method: "bot_token", credential_hint: "…cret", enabled: true });
    expect(record.channels.map((c) => c.name)).toEqual(["#a", "#b"]);
  });

  it("a first connect without a credential stores nothing", async () => {
    expect(await codeOf(connect({ channels: ["#a"] }))).toBe("invalid_credentials");
    expect(store.integrations.size).toBe(0);
  });

  it("a later PUT keeps the credential and the connection; a new credential replaces it", async () => {
    const first = await connect();
    const update = await connect({ enabled: false });
    expect(cipher.sealed).toHaveLength(1);
    expect(update).toMatchObject({ enabled: false, connection_id: first.connection_id, created_at: first.created_at });
    expect(update.credential).toEqual(first.credential);
    const replaced = await connect({ webhook_url: "https://hooks.slack.com/services/T1/B1/x", channels: ["#a"] });
    expect(replaced.method).toBe("webhook");
    expect(replaced.credential).not.toEqual(first.credential);
  });

  it("an update without a credential re-seals one sealed in the old format, under the full binding", async () => {
    const first = await connect();
    // As stored before format 2: bound to the workspace only.
    const stored = store.integrations.get(WS) as NonNullable<ReturnType<typeof store.integrations.get>>;
    stored.credential = { ...stored.credential, v: 1 };
    const sealedBefore = cipher.sealed.length;
    const updated = await connect({ enabled: false });
    expect(updated.credential.v).toBe(2);
    expect(cipher.sealed).toHaveLength(sealedBefore + 1);
    expect(cipher.sealed.at(-1)).toMatchObject({
      plain: "xoxb-1-secret",
      binding: { workspace_id: WS, method: "bot_token", connection_id: first.connection_id },
    });
    expect(cipher.opened.every((b) => b.every((x) => x === 0))).toBe(true);
  });

  it("asks Slack who a new token is before sealing it, and keeps that identity", async () => {
    const record = await connect();
    expect(auth.tokens).toEqual(["xoxb-1-secret"]);
    expect(record.slack).toEqual(IDENTITY);
    // A PUT without a credential asks nothing and keeps the identity.
    const update = await connect({ enabled: false });
    expect(auth.tokens).toHaveLength(1);
    expect(update.slack).toEqual(IDENTITY);
    // A user token is preflighted too; a webhook is not, and has no identity.
    expect((await connect({ user_token: "xoxp-2-secret" })).slack).toEqual(IDENTITY);
    const webhook = await connect({ webhook_url: "https://hooks.slack.com/services/T1/B1/x", channels: ["#a"] });
    expect(auth.tokens).toEqual(["xoxb-1-secret", "xoxp-2-secret"]);
    expect(webhook.slack).toBeNull();
  });

  it.each([
    [{ status: "rejected", error: "token_revoked" }, "credential_rejected", "token_revoked"],
    [{ status: "rejected", error: "invalid_auth" }, "credential_rejected", "invalid_auth"],
    [{ status: "ok", identity: IDENTITY, scopes: ["channels:read"] }, "missing_scope", "chat:write"],
    [{ status: "unavailable", reason: "timeout" }, "slack_unavailable", "timeout"],
    [{ status: "unavailable", reason: "http_503" }, "slack_unavailable", "http_503"],
  ] as [AuthTestResult, string, string][])(
    "a preflight answering %j fails as %s, names %s and stores nothing",
    async (answer, code, named) => {
      auth.answers.push(answer);
      const err = await connect().then(
        () => undefined,
        (e: DomainError) => e,
      );
      expect(err?.code).toBe(code);
      expect(err?.message).toContain(named);
      expect(err?.message).not.toContain("xoxb-1-secret");
      expect(store.integrations.size).toBe(0);
      expect(cipher.sealed).toHaveLength(0);
    },
  );

  it("a rejected new token leaves the previous integration as it was", async () => {
    const first = await connect();
    auth.answers.push({ status: "rejected", error: "token_revoked" });
    expect(await codeOf(connect({ bot_token: "xoxb-9-revoked", channel: "#other" }))).toBe("credential_rejected");
    expect(await getIntegration({ integrations: store }, WS)).toEqual(first);
  });

  it("validates the body before asking Slack: a bad body never reaches the preflight", async () => {
    expect(await codeOf(connect({ bot_token: "xoxb-1-secret", channels: ["not a channel"] }))).toBe("invalid_channel");
    expect(await codeOf(connect({ bot_token: "nope" }))).toBe("invalid_bot_token");
    expect(auth.tokens).toHaveLength(0);
  });

  it("accepts a token without the scopes header, and the legacy chat:write:bot scope", async () => {
    auth.answers.push({ status: "ok", identity: IDENTITY });
    expect((await connect()).slack).toEqual(IDENTITY);
    auth.answers.push({ status: "ok", identity: IDENTITY, scopes: ["chat:write:bot"] });
    expect((await connect({ bot_token: "xoxb-3-secret" })).slack).toEqual(IDENTITY);
  });

  it("reads and disconnects", async () => {
    await connect();
    expect((await getIntegration({ integrations: store }, WS))?.method).toBe("bot_token");
    await disconnectIntegration({ integrations: store }, WS);
    expect(await getIntegration({ integrations: store }, WS)).toBeUndefined();
  });
});

describe("the test message", () => {
  /** A clock the waits move, and what the delivery (elsewhere: the queue) does while the API waits. */
  const deps = (duringWait: (round: number) => void = () => {}, sleeps: number[] = []) => {
    let clock = 0;
    return {
      integrations: store,
      notifications: store,
      now: () => clock,
      sleep: async (ms: number) => {
        duringWait(sleeps.length);
        sleeps.push(ms);
        clock += ms;
      },
    };
  };
  const finish = (channel: string, fields: Partial<NotificationRecord>) => {
    const n = [...store.notifications.values()].find((x) => x.type === "test" && x.channel === channel);
    if (n) Object.assign(n, fields);
  };

  it("is a 409-kind not_connected without an integration", async () => {
    expect(await codeOf(sendTestMessage(deps(), WS))).toBe("not_connected");
  });

  it("queues a pending test notification per channel, as every notification goes, and answers their outcomes", async () => {
    const integration = await connect();
    const sleeps: number[] = [];
    const results = await sendTestMessage(
      deps((round) => {
        // Before the first wait nothing is delivered: the API reads the records, then waits for the queue.
        if (round === 1) finish("#a", { status: "delivered", attempts: 1 });
        if (round === 2) finish("#b", { status: "failed", error: "not_in_channel", attempts: 1 });
      }, sleeps),
      WS,
    );
    expect(results.map(({ channel, status, error }) => ({ channel, status, error }))).toEqual([
      { channel: "#a", status: "delivered", error: undefined },
      { channel: "#b", status: "failed", error: "not_in_channel" },
    ]);
    expect(results[0]).not.toHaveProperty("hint");
    expect(results[1]?.hint).toContain("/invite @medulla");
    // Short pauses first, so an idle channel's answer comes back as soon as it is posted.
    expect(sleeps).toEqual([50, 100, 200]);
    for (const r of results) {
      expect(store.notifications.get(r.notification_id)).toMatchObject({
        type: "test",
        event_id: "test",
        channel: r.channel,
        connection_id: integration.connection_id,
      });
    }
  });

  it("answers a channel still busy when the wait is over as pending, saying where its outcome will be", async () => {
    await connect();
    const sleeps: number[] = [];
    const results = await sendTestMessage(
      deps((round) => {
        if (round === 0) finish("#a", { status: "delivered", attempts: 1 });
      }, sleeps),
      WS,
    );
    expect(results.map((r) => [r.channel, r.status])).toEqual([
      ["#a", "delivered"],
      ["#b", "pending"],
    ]);
    expect(results[1]?.hint).toContain("notification log");
    expect(results[1]).not.toHaveProperty("error");
    expect(sleeps.reduce((a, b) => a + b, 0)).toBe(API.testWaitMs);
    expect(Math.max(...sleeps)).toBe(API.testPollMaxMs);
  });
});

describe("accepting events", () => {
  const ports = () => ({ integrations: store, events: store });

  it("creates one pending notification per selected channel, stored with the event", async () => {
    await connect({
      bot_token: "xoxb-1-secret",
      channels: ["#all", { name: "#staging", conditions: [{ key: "env", operator: "In", values: ["staging"] }] }],
    });
    const result = await acceptEvent(ports(), WS, scanEvent());
    expect(result.kind).toBe("accepted");
    expect(result.response.notifications.map((n) => [n.channel, n.status])).toEqual([["#all", "pending"]]);
    expect(store.notifications.size).toBe(1);
  });

  it("says why nothing is sent: not connected, disabled, filtered", async () => {
    expect((await acceptEvent(ports(), WS, startedEvent())).response.skipped).toBe("not_connected");
    await connect({ bot_token: "xoxb-1-secret", enabled: false });
    expect((await acceptEvent(ports(), WS, startedEvent())).response.skipped).toBe("disabled");
    await connect({ enabled: true, conditions: [{ key: "severity", operator: "In", values: ["critical"] }] });
    expect((await acceptEvent(ports(), WS, startedEvent())).response.skipped).toBe("filtered");
  });

  it("a repeat with the same payload answers the first response; another payload is a conflict", async () => {
    await connect();
    const event = scanEvent();
    const first = await acceptEvent(ports(), WS, event);
    const again = await acceptEvent(ports(), WS, { ...event });
    expect(again).toEqual({ kind: "repeat", response: first.response });
    expect(store.notifications.size).toBe(2);
    expect(await codeOf(acceptEvent(ports(), WS, { ...event, labels: { env: "dev" } }))).toBe("event_id_conflict");
  });

  it("refuses an invalid event with details and stores nothing", async () => {
    await expect(acceptEvent(ports(), WS, { ...scanEvent(), type: "nope" })).rejects.toMatchObject({
      code: "validation_error",
      details: expect.arrayContaining([expect.objectContaining({ path: "type" })]),
    });
    expect(store.events.size).toBe(0);
  });

  it("previews the exact payload per channel without storing", async () => {
    await connect();
    const deps = { integrations: store, threads: store, dashboardUrl: "https://d.example.com/" };
    const out = await previewEvent(deps, WS, scanEvent());
    expect(out.messages.map((m) => m.channel)).toEqual(["#a", "#b"]);
    expect(out.messages[0]?.payload).toMatchObject({ channel: "#a", unfurl_links: false });
    expect(out.messages[0]?.payload).not.toHaveProperty("thread_ts");
    expect(store.events.size).toBe(0);
  });

  it("previews an upgrade's later event as the reply it will be: in its thread, broadcast when it fails", async () => {
    await connect();
    const deps = { integrations: store, threads: store, dashboardUrl: "https://d.example.com/" };
    const failed = { ...failedEvent(), upgrade_id: "upg-7" };
    // No thread yet in either channel: the status message goes first, and its ts is not known before.
    const first = await previewEvent(deps, WS, failed);
    expect(first.messages.map((m) => "thread_ts" in m.payload)).toEqual([false, false]);
    store.threads.set(`${WS}/#a/upgrade:upg-7`, {
      workspace_id: WS,
      channel: "#a",
      key: "upgrade:upg-7",
      channel_id: "C0A",
      ts: "1700000000.000100",
      state: {} as ThreadRecord["state"],
      seq: 1,
      shown_seq: 1,
      last_applied: "ntf_x",
      opened_by: "ntf_x",
      updated_at: "t",
    });
    const later = await previewEvent(deps, WS, failed);
    expect(later.messages[0]?.payload).toMatchObject({ thread_ts: "1700000000.000100", reply_broadcast: true });
    expect(later.messages[1]?.payload).not.toHaveProperty("thread_ts");
    // Threads turned off: posted on its own.
    await connect({ threads: false });
    expect((await previewEvent(deps, WS, failed)).messages[0]?.payload).not.toHaveProperty("thread_ts");
  });
});

describe("the notification log", () => {
  it("lists, gets (404 when unknown) and retries only failed notifications", async () => {
    await connect();
    const { response } = await acceptEvent({ integrations: store, events: store }, WS, startedEvent());
    const [a, b] = response.notifications.map((n) => n.id) as [string, string];
    const ports = { notifications: store, integrations: store };
    expect((await listNotifications(ports, WS, { limit: 50 })).items).toHaveLength(2);
    expect((await getNotification(ports, WS, a)).status).toBe("pending");
    expect(await codeOf(getNotification(ports, WS, "ntf_unknown"))).toBe("not_found");
    expect(await codeOf(retryNotification(ports, WS, a))).toBe("invalid_state");
    const failed = store.notifications.get(b);
    if (failed) Object.assign(failed, { status: "failed", error: "channel_not_found" });
    expect(await retryNotification(ports, WS, b)).toMatchObject({ status: "pending", attempts: 0 });
    expect(await codeOf(retryNotification(ports, WS, "ntf_unknown"))).toBe("not_found");
  });

  it("a retry binds the notification to the connection there is now; with none it is refused and nothing changes", async () => {
    await connect();
    const { response } = await acceptEvent({ integrations: store, events: store }, WS, startedEvent());
    const id = response.notifications[0]?.id as string;
    const ports = { notifications: store, integrations: store };
    const fail = (fields: object) => Object.assign(store.notifications.get(id) ?? {}, { status: "failed", ...fields });
    fail({ error: "not_connected", connection_id: "con_gone" });
    const now = (await store.getIntegration(WS))?.connection_id;
    expect(await retryNotification(ports, WS, id)).toMatchObject({ status: "pending", connection_id: now });

    fail({ error: "not_connected" });
    await store.deleteIntegration(WS);
    expect(await codeOf(retryNotification(ports, WS, id))).toBe("not_connected");
    expect(store.notifications.get(id)).toMatchObject({ status: "failed", error: "not_connected" });
  });
});
