import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { type ApiDeps, makeApi } from "../../functions/api/app";
import { ROUTES } from "../../functions/api/routes";
import { eventSchema } from "../../functions/core/events";
import { planIntegrationUpdate } from "../../functions/core/integration";
import { listQuerySchema } from "../../functions/core/use-cases/notifications";
import { createTokenBody } from "../../functions/core/use-cases/tokens";
import { failedEvent, scanEvent } from "../fixtures/events";

/** GET /v1/openapi.json through the API function itself (no token: the route is public). */
async function served() {
  const api = makeApi({} as ApiDeps);
  const path = "/v1/openapi.json";
  const res = (await api(
    { version: "2.0", rawPath: path, headers: {}, requestContext: { http: { method: "GET", path } } } as never,
    { awsRequestId: "t", getRemainingTimeInMillis: () => 1000 } as never,
  )) as { statusCode: number; headers: Record<string, string>; body: string };
  return { ...res, doc: JSON.parse(res.body) };
}

describe("the OpenAPI document", () => {
  it("is served without a token and is a valid OpenAPI 3.1 document", async () => {
    const { statusCode, headers, doc } = await served();
    expect(statusCode).toBe(200);
    expect(headers["content-type"]).toMatch(/^application\/json/);
    expect(doc.openapi).toBe("3.1.0");
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("has every route of the table, with its operation id, and public routes need no token", async () => {
    const { doc } = await served();
    for (const r of ROUTES) {
      const op = doc.paths[r.path]?.[r.method.toLowerCase()];
      expect(op?.operationId, `${r.method} ${r.path}`).toBe(r.id);
      if (r.access === "public") expect(op.security).toEqual([]);
      else expect(op.responses["401"]).toBeDefined();
    }
    // Each route names the scope (or the admin role) a token needs for it.
    const security = (path: string, method: string) => doc.paths[path][method].security;
    expect(security("/v1/workspaces/{ws}/events", "post")).toEqual([{ bearer: ["events:write"] }]);
    expect(security("/v1/workspaces/{ws}/tokens", "post")).toEqual([
      { bearer: ["admin"] },
      { bearer: ["tokens:write"] },
    ]);
    expect(security("/v1/workspaces", "post")).toEqual([{ bearer: ["admin"] }]);
    expect(security("/v1/me", "get")).toEqual([{ bearer: [] }]);
    for (const r of ROUTES) {
      expect(doc.paths[r.path][r.method.toLowerCase()].responses["500"], r.id).toBeDefined();
    }
  });

  it("documents the preflight's errors on the connect route", async () => {
    const { doc } = await served();
    const put = doc.paths["/v1/workspaces/{ws}/integrations/slack"].put.responses;
    expect(put["400"].description).toContain("credential_rejected");
    expect(put["400"].description).toContain("missing_scope");
    expect(put["502"].description).toContain("slack_unavailable");
    const view = doc.components.schemas.Integration;
    expect(view.properties.slack).toBeDefined();
    expect(view.properties.channels.items.properties.health).toBeDefined();
  });

  it("describes requests with the schemas that validate them", async () => {
    const { doc } = await served();
    const resolve = (schema: { $ref?: string }) =>
      schema.$ref ? doc.components.schemas[schema.$ref.split("/").pop() as string] : schema;
    const event = resolve(doc.paths["/v1/workspaces/{ws}/events"].post.requestBody.content["application/json"].schema);
    // The event schema is a union discriminated by type: each member requires the contract's fields.
    const members = (event.oneOf ?? event.anyOf) as { properties: { type: { const: string } }; required: string[] }[];
    expect(members.map((m) => m.properties.type.const).sort()).toEqual([
      "execution_completed",
      "execution_failed",
      "execution_started",
      "scan_completed",
      "upgrade_scheduled",
    ]);
    for (const m of members)
      expect(m.required).toEqual(expect.arrayContaining(["event_id", "type", "cluster", "data"]));
    const query = doc.paths["/v1/workspaces/{ws}/notifications"].get.parameters as { name: string; in: string }[];
    expect(query.filter((p) => p.in === "query").map((p) => p.name)).toEqual(["status", "type", "limit", "cursor"]);
    const ws = query.find((p) => p.in === "path" && p.name === "ws") as unknown as { schema: { pattern: string } };
    expect(ws.schema.pattern).toBe("^ws_[A-Za-z0-9_-]{16}$");
  });

  it("documents the 200 a repeated event gets, beside the 202", async () => {
    const { doc } = await served();
    const answers = doc.paths["/v1/workspaces/{ws}/events"].post.responses;
    expect(answers["202"]).toBeDefined();
    expect(answers["200"].description).toContain("repeat");
    expect(answers["200"].content["application/json"].schema).toEqual(
      answers["202"].content["application/json"].schema,
    );
  });

  it("refuses with its request schemas what the API refuses, and takes what it takes", async () => {
    const { doc } = await served();
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema(doc, "doc");
    const pointer = (path: string, method: string) =>
      `doc#/paths/${path.replace(/~/g, "~0").replace(/\//g, "~1")}/${method}/requestBody/content/application~1json/schema`;
    const documented = (path: string, method: string) => ajv.compile({ $ref: pointer(path, method) });
    const accepts = (parse: (body: unknown) => unknown) => (body: unknown) => {
      try {
        parse(body);
        return true;
      } catch {
        return false;
      }
    };
    const strictly = (schema: { parse(v: unknown): unknown }) => accepts((b) => schema.parse(b));
    const cases: { name: string; doc: (b: unknown) => boolean; api: (b: unknown) => boolean; bodies: unknown[] }[] = [
      {
        name: "events",
        doc: documented("/v1/workspaces/{ws}/events", "post"),
        api: strictly(eventSchema),
        bodies: [
          scanEvent(),
          failedEvent(),
          scanEvent({ labels: Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`k${i}`, "v"])) }),
          scanEvent({ labels: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, "v"])) }),
          scanEvent({ dashboard_url: "http://app.example.com/" }),
          scanEvent({ dashboard_url: "https://app.example.com/a b" }),
          scanEvent({ dashboard_url: "HTTPS://app.example.com/" }),
          scanEvent({ cluster: { name: " " } }),
          failedEvent({ failure_reason: "", rollback_status: "" }),
          failedEvent({ execution_id: " " }),
          scanEvent({}, { current_version: "" }),
        ],
      },
      {
        name: "the Slack integration",
        doc: documented("/v1/workspaces/{ws}/integrations/slack", "put"),
        api: accepts((b) => planIntegrationUpdate(b, undefined)),
        bodies: [
          { bot_token: "xoxb-1-abc", channels: ["#upgrades", "C0123ABCD"] },
          { bot_token: "nope" },
          { user_token: "xoxp-1-abc", channel: "#a" },
          { user_token: "xoxb-1-abc" },
          { webhook_url: "https://hooks.slack.com/services/T1/B2/x3" },
          { webhook_url: "http://hooks.slack.com/services/T1/B2/x3" },
          { webhook_url: "https://hooks.slack.com.evil.com/services/T1" },
          { webhook_url: "https://hooks.slack.com/hooks/T1" },
          { bot_token: "xoxb-1-abc", webhook_url: "https://hooks.slack.com/services/T1/B2/x3" },
          { bot_token: "xoxb-1-abc", channel: "BAD" },
          { bot_token: "xoxb-1-abc", channels: [{ name: "#Upper" }] },
          { bot_token: "xoxb-1-abc", channel: "#a", channels: ["#b"] },
          { bot_token: "xoxb-1-abc", conditions: [{ key: "env", operator: "In" }] },
          { bot_token: "xoxb-1-abc", conditions: [{ key: "env", operator: "In", values: ["prod"] }] },
          { bot_token: "xoxb-1-abc", conditions: [{ key: "env", operator: "Exists", values: ["prod"] }] },
          { bot_token: "xoxb-1-abc", conditions: [{ key: "env", operator: "DoesNotExist" }] },
        ],
      },
      {
        name: "tokens",
        doc: documented("/v1/workspaces/{ws}/tokens", "post"),
        api: strictly(createTokenBody),
        bodies: [
          { name: "ci", scopes: ["events:write"] },
          { name: "ci", scopes: ["events:write", "events:write"] },
        ],
      },
    ];
    for (const c of cases)
      for (const body of c.bodies) expect(c.doc(body), `${c.name}: ${JSON.stringify(body)}`).toBe(c.api(body));

    const limit = (doc.paths["/v1/workspaces/{ws}/notifications"].get.parameters as { name: string }[]).find(
      (p) => p.name === "limit",
    ) as unknown as { schema: object };
    const documentedLimit = ajv.compile(limit.schema);
    for (const value of ["1", "50", "100", "0", "101", "999", "050", "1e1"])
      expect(documentedLimit(value), `limit=${value}`).toBe(listQuerySchema.safeParse({ limit: value }).success);
  });
});
