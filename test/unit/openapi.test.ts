import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { type ApiDeps, makeApi } from "../../functions/api/app";
import { ROUTES } from "../../functions/api/routes";

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
});
