import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { scanEvent } from "../fixtures/events";
import { startTestStack, type TestStack } from "../fixtures/test-stack";

let t: TestStack;
beforeAll(async () => {
  t = await startTestStack();
});
afterAll(async () => {
  await t.stop();
});

const expectError = (res: { status: number; body: Record<string, unknown> }, status: number, code: string) => {
  expect(res.status).toBe(status);
  expect(res.body).toMatchObject({ error: { code } });
  expect(typeof (res.body.error as { message?: unknown }).message).toBe("string");
};

describe("health and routing", () => {
  it("answers /health without a token", async () => {
    const res = await t.call("GET", "/health");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "ok" });
  });

  it("404 not_found on an unknown route, 405 on a known path with the wrong method", async () => {
    expectError(await t.call("GET", "/v1/nothing-here", { token: t.stack.adminToken }), 404, "not_found");
    const res = await t.call("PATCH", "/v1/workspaces", { token: t.stack.adminToken });
    expectError(res, 405, "method_not_allowed");
    expect(res.headers.get("allow")).toBe("POST");
  });
});

describe("authentication and scopes", () => {
  it("GET /v1/me says who a token is: the admin, or a workspace token with its scopes", async () => {
    const admin = await t.call("GET", "/v1/me", { token: t.stack.adminToken });
    expect(admin.status).toBe(200);
    expect(admin.body).toEqual({ admin: true, workspace_id: null, token_id: expect.any(String), scopes: [] });
    const w = await t.workspace("me");
    const minted = await t.call<{ id: string; token: string }>("POST", `${w.base}/tokens`, {
      token: w.token,
      body: { name: "engine", scopes: ["events:write"] },
    });
    // A response that carries a token is never kept by a browser or a proxy.
    expect(minted.headers.get("cache-control")).toBe("no-store");
    const me = await t.call("GET", "/v1/me", { token: minted.body.token });
    expect(me.body).toEqual({ admin: false, workspace_id: w.ws, token_id: minted.body.id, scopes: ["events:write"] });
    expectError(await t.call("GET", "/v1/me"), 401, "unauthorized");
    await t.call("DELETE", `${w.base}/tokens/${minted.body.id}`, { token: w.token });
    expectError(await t.call("GET", "/v1/me", { token: minted.body.token }), 401, "unauthorized");
  });

  it("401 without a token, with an unknown one, with a malformed header", async () => {
    expectError(await t.call("POST", "/v1/workspaces", { body: { name: "x" } }), 401, "unauthorized");
    expectError(
      await t.call("POST", "/v1/workspaces", { token: "mdl_not-a-real-token-at-all", body: { name: "x" } }),
      401,
      "unauthorized",
    );
    expectError(
      await t.call("POST", "/v1/workspaces", { headers: { authorization: "Basic abc" }, body: { name: "x" } }),
      401,
      "unauthorized",
    );
  });

  it("a workspace token cannot create workspaces (403) nor see another workspace (404)", async () => {
    const a = await t.workspace("a");
    const b = await t.workspace("b");
    expectError(await t.call("POST", "/v1/workspaces", { token: a.token, body: { name: "x" } }), 403, "forbidden");
    expectError(await t.call("GET", `${b.base}/notifications`, { token: a.token }), 404, "not_found");
    expectError(
      await t.call("PUT", `${b.base}/integrations/slack`, { token: a.token, body: { bot_token: "xoxb-1" } }),
      404,
      "not_found",
    );
    expect((await t.call("GET", `${b.base}/integrations/slack`, { token: b.token })).status).toBe(404);
  });

  it("a token lacking the route's scope gets 403, and cannot mint scopes it lacks", async () => {
    const w = await t.workspace();
    const reader = await t.call<{ token: string; scopes: string[] }>("POST", `${w.base}/tokens`, {
      token: w.token,
      body: { name: "reader", scopes: ["notifications:read"] },
    });
    expect(reader.status).toBe(201);
    expect(reader.body.scopes).toEqual(["notifications:read"]);
    expectError(
      await t.call("POST", `${w.base}/events`, { token: reader.body.token, body: scanEvent() }),
      403,
      "forbidden",
    );
    expect((await t.call("GET", `${w.base}/notifications`, { token: reader.body.token })).status).toBe(200);
    const minter = await t.call<{ token: string }>("POST", `${w.base}/tokens`, {
      token: w.token,
      body: { name: "minter", scopes: ["tokens:write"] },
    });
    expectError(
      await t.call("POST", `${w.base}/tokens`, {
        token: minter.body.token,
        body: { name: "x", scopes: ["events:write"] },
      }),
      403,
      "forbidden",
    );
  });

  it("the admin token may not act as a workspace token", async () => {
    const w = await t.workspace();
    expectError(
      await t.call("POST", `${w.base}/events`, { token: t.stack.adminToken, body: scanEvent() }),
      403,
      "forbidden",
    );
  });
});

describe("workspaces and tokens", () => {
  it("creates a workspace whose token carries every scope", async () => {
    const res = await t.call<{ workspace_id: string; name: string; token: string }>("POST", "/v1/workspaces", {
      token: t.stack.adminToken,
      body: { name: "payments" },
    });
    expect(res.status).toBe(201);
    expect(res.body.name).toBe("payments");
    expect(res.body.workspace_id).toMatch(/^ws_/);
    const tokens = await t.call<{ items: { scopes: string[] }[] }>(
      "GET",
      `/v1/workspaces/${res.body.workspace_id}/tokens`,
      {
        token: res.body.token,
      },
    );
    expect(tokens.body.items[0]?.scopes.sort()).toEqual(
      ["events:write", "integration:read", "integration:write", "notifications:read", "tokens:write"].sort(),
    );
  });

  it("lists tokens without secrets; a deleted token stops working at once", async () => {
    const w = await t.workspace();
    const created = await t.call<{ id: string; token: string }>("POST", `${w.base}/tokens`, {
      token: t.stack.adminToken,
      body: { name: "ci", scopes: ["events:write"] },
    });
    expect(created.status).toBe(201);
    const list = await t.call<{ items: Record<string, unknown>[] }>("GET", `${w.base}/tokens`, { token: w.token });
    expect(list.status).toBe(200);
    expect(list.body.items.map((i) => i.name)).toContain("ci");
    expect(list.text).not.toContain(created.body.token);
    for (const item of list.body.items)
      expect(Object.keys(item).sort()).toEqual(["created_at", "id", "name", "scopes"]);
    expect((await w.post(scanEvent())).status).toBe(202);
    expect((await t.call("DELETE", `${w.base}/tokens/${created.body.id}`, { token: w.token })).status).toBe(204);
    expectError(
      await t.call("POST", `${w.base}/events`, { token: created.body.token, body: scanEvent() }),
      401,
      "unauthorized",
    );
    expectError(await t.call("DELETE", `${w.base}/tokens/${created.body.id}`, { token: w.token }), 404, "not_found");
  });

  it("rejects bad token requests with validation details", async () => {
    const w = await t.workspace();
    const res = await t.call("POST", `${w.base}/tokens`, { token: w.token, body: { name: "", scopes: ["root"] } });
    expectError(res, 400, "validation_error");
    expect((res.body.error as { details: unknown[] }).details.length).toBeGreaterThan(0);
    expectError(
      await t.call("POST", "/v1/workspaces/ws_unknown/tokens", {
        token: t.stack.adminToken,
        body: { name: "x", scopes: ["events:write"] },
      }),
      404,
      "not_found",
    );
  });
});

describe("malformed requests", () => {
  it("400 invalid_json, 415 for other content types, 413 over 64 KiB", async () => {
    const w = await t.workspace();
    expectError(
      await t.call("POST", `${w.base}/events`, {
        token: w.token,
        raw: "{not json",
        headers: { "content-type": "application/json" },
      }),
      400,
      "invalid_json",
    );
    expectError(
      await t.call("POST", `${w.base}/events`, {
        token: w.token,
        raw: "a=b",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      }),
      415,
      "unsupported_media_type",
    );
    const big = scanEvent(
      { labels: { big: "x".repeat(200) } },
      { deprecated_apis: Array.from({ length: 700 }, (_, i) => ({ api: `api-${i}-${"y".repeat(80)}` })) },
    );
    expectError(await t.call("POST", `${w.base}/events`, { token: w.token, body: big }), 413, "payload_too_large");
    expectError(
      await t.call("POST", `${w.base}/events`, {
        token: w.token,
        raw: "[]",
        headers: { "content-type": "application/json" },
      }),
      400,
      "validation_error",
    );
  });

  it("a route that reads no body still refuses one over 64 KiB, or not JSON, or compressed, and does nothing", async () => {
    const w = await t.workspace();
    const minted = await t.call("POST", `${w.base}/tokens`, {
      token: w.token,
      body: { name: "victim", scopes: ["events:write"] },
    });
    const revoke = (raw: string, headers: Record<string, string>) =>
      t.call("DELETE", `${w.base}/tokens/${minted.body.id as string}`, { token: w.token, raw, headers });
    expectError(await revoke("x".repeat(100_000), { "content-type": "application/json" }), 413, "payload_too_large");
    expectError(await revoke("x", { "content-type": "text/plain" }), 415, "unsupported_media_type");
    expectError(
      await revoke("{}", { "content-type": "application/json", "content-encoding": "gzip" }),
      415,
      "unsupported_media_type",
    );
    // Refused three times, so the token still works; a JSON body it does not read is ignored.
    expect((await t.call("GET", "/v1/me", { token: minted.body.token as string })).status).toBe(200);
    expect((await revoke("{}", { "content-type": "application/json" })).status).toBe(204);
    expect((await t.call("GET", "/v1/me", { token: minted.body.token as string })).status).toBe(401);
  });

  it("past API Gateway's 10 MiB the local server answers the contract's 413 and closes the connection", async () => {
    const w = await t.workspace();
    const res = await fetch(`${t.stack.url}${w.base}/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${w.token}`, "content-type": "application/json" },
      body: Buffer.alloc(11 * 1024 * 1024, 0x61),
    });
    expect(res.status).toBe(413);
    expect(res.headers.get("connection")).toBe("close");
    expect(await res.json()).toMatchObject({ error: { code: "payload_too_large", message: expect.any(String) } });
  });

  it("random bytes never produce a 5xx and store nothing", async () => {
    const w = await t.workspace();
    for (let i = 0; i < 40; i++) {
      const bytes = Buffer.from(Array.from({ length: 1 + ((i * 37) % 300) }, (_, j) => (i * 131 + j * 17) % 256));
      for (const path of [`${w.base}/events`, `${w.base}/integrations/slack`, `${w.base}/tokens`, "/v1/workspaces"]) {
        const method = path.endsWith("slack") ? "PUT" : "POST";
        const res = await t.call(method, path, {
          token: w.token,
          raw: bytes,
          headers: { "content-type": "application/json" },
        });
        expect(res.status, `${method} ${path} with ${bytes.toString("hex").slice(0, 40)}`).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
      }
    }
    const log = await t.call<{ items: unknown[] }>("GET", `${w.base}/notifications`, { token: w.token });
    expect(log.body.items).toEqual([]);
    expect((await t.call("GET", `${w.base}/integrations/slack`, { token: w.token })).status).toBe(404);
  });
});

describe("hostile JSON: deep nesting and unpaired surrogates", () => {
  /** Every item in this file's table: a refused request must not change it. */
  const tableItems = async () => {
    const ddb = new DynamoDBClient({ endpoint: inject("dynamodbEndpoint") });
    try {
      const out = await ddb.send(new ScanCommand({ TableName: process.env.TABLE_NAME as string, Select: "COUNT" }));
      return out.Count;
    } finally {
      ddb.destroy();
    }
  };
  /** `json` (an object's text) with `"extra"` holding `levels` objects inside each other, as raw JSON text. */
  const withDeepKey = (json: string, levels: number) =>
    `${json.slice(0, -1)}${json === "{}" ? "" : ","}"extra":${'{"k":'.repeat(levels)}1${"}".repeat(levels)}}`;

  it("400 validation_error on every route with a body, nothing stored, nothing sent", async () => {
    const w = await t.workspace();
    await w.connect();
    const event = scanEvent();
    const routes: [string, string, string, Record<string, unknown>][] = [
      ["POST", "/v1/workspaces", t.stack.adminToken, { name: "deep" }],
      ["POST", `${w.base}/tokens`, w.token, { name: "deep", scopes: ["events:write"] }],
      ["PUT", `${w.base}/integrations/slack`, w.token, { bot_token: "xoxb-deep-1", channel: "#deep" }],
      ["POST", `${w.base}/integrations/slack/test`, w.token, {}],
      ["POST", `${w.base}/events`, w.token, event],
      ["POST", `${w.base}/events/preview`, w.token, event],
      ["POST", `${w.base}/notifications/ntf_0000000000000000000000zz/retry`, w.token, {}],
    ];
    const before = await tableItems();
    const posted = t.slack.requests.length;
    for (const [method, path, token, body] of routes) {
      for (const raw of [
        withDeepKey(JSON.stringify(body), 5000),
        withDeepKey(JSON.stringify(body), 32),
        JSON.stringify({ ...body, name: "lone \ud800 surrogate" }),
        JSON.stringify({ ...body, "k\udfff": 1 }),
      ]) {
        const res = await t.call(method, path, { token, raw, headers: { "content-type": "application/json" } });
        expectError(res, 400, "validation_error");
        const details = (res.body.error as { details?: { path: string; message: string }[] }).details ?? [];
        expect(details, `${method} ${path}`).toHaveLength(1);
        expect(details[0]?.message).toMatch(/nested deeper than 32 levels|unpaired UTF-16 surrogate/);
        expect(res.text).not.toMatch(/\\ud[89a-f]/i);
      }
    }
    expect(await tableItems()).toBe(before);
    expect(t.slack.requests.length).toBe(posted);
    // Depth 32 is still fine: the same event with an unknown key 31 objects deep is accepted (and the key dropped).
    expect((await w.post(JSON.parse(withDeepKey(JSON.stringify(event), 31)))).status).toBe(202);
  });

  it("an unpaired surrogate in a cluster name never reaches Slack; a paired one (emoji) does", async () => {
    const w = await t.workspace();
    await w.connect({ bot_token: "xoxb-surrogate-1", channel: "#surrogates" });
    const event = scanEvent({ cluster: { name: "prod-\ud800" } });
    for (const path of ["events", "events/preview"]) {
      const res = await t.call("POST", `${w.base}/${path}`, { token: w.token, body: event });
      expectError(res, 400, "validation_error");
      expect((res.body.error as { details: unknown[] }).details).toEqual([
        { path: "cluster.name", message: "contains an unpaired UTF-16 surrogate" },
      ]);
    }
    const log = await t.call<{ items: unknown[] }>("GET", `${w.base}/notifications`, { token: w.token });
    expect(log.body.items).toEqual([]);
    // Nothing was stored under the event id: the same id with a clean body is new (202), not a repeat.
    const clean = await w.post({ ...event, cluster: { name: "prod-\ud83d\ude80" } });
    expect(clean.status).toBe(202);
    await w.settled(clean.body.notifications[0]?.id as string);
    const posts = t.slack.posts("#surrogates");
    expect(posts).toHaveLength(1);
    expect(posts[0]?.body.text).toContain("prod-\ud83d\ude80");
  });
});

describe("webhook URLs", () => {
  it("a bare ? or # at the end is refused (400 invalid_webhook_url) and nothing is stored", async () => {
    const w = await t.workspace();
    for (const webhook_url of [
      "https://hooks.slack.com/services/T1/B2/x?",
      "https://hooks.slack.com/services/T1/B2/x#",
      "https://hooks.slack.com/services/T1/B2/x?#",
    ]) {
      const res = await t.call("PUT", `${w.base}/integrations/slack`, { token: w.token, body: { webhook_url } });
      expectError(res, 400, "invalid_webhook_url");
    }
    expect((await t.call("GET", `${w.base}/integrations/slack`, { token: w.token })).status).toBe(404);
  });
});
