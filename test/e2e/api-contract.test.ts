import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
