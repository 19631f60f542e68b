import { describe, expect, it, vi } from "vitest";
import { type ApiDeps, makeApi } from "../../functions/api/app";
import { STATUS_OF } from "../../functions/api/error-status";
import { isPublicPath, routePathPattern } from "../../functions/api/routes";
import { ERROR_CODES } from "../../functions/core/errors";
import { captureLogs } from "../fixtures/capture-logs";
import { FakeStore } from "../fixtures/fake-stores";

const WS = "ws_AAAAAAAAAAAAAAAA";
const workspaceToken = {
  kind: "workspace",
  token_id: "tok_1",
  workspace_id: WS,
  scopes: "notifications:read events:write",
};

async function call(
  deps: Partial<ApiDeps>,
  method: string,
  path: string,
  opts: { body?: unknown; contentType?: string } = {},
) {
  const api = makeApi(deps as ApiDeps);
  const event = {
    version: "2.0",
    rawPath: path,
    headers: opts.body === undefined ? {} : { "content-type": opts.contentType ?? "application/json" },
    requestContext: { http: { method, path }, authorizer: { lambda: workspaceToken } },
    ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
    isBase64Encoded: false,
  };
  const res = (await api(
    event as never,
    { awsRequestId: "req-edge-1", getRemainingTimeInMillis: () => 1000 } as never,
  )) as {
    statusCode: number;
    headers: Record<string, string>;
    body: string;
  };
  return { ...res, json: res.body ? JSON.parse(res.body) : undefined };
}

describe("the HTTP edge", () => {
  it("maps every error code to one status: 4xx for the caller's mistakes, 5xx only for ours and Slack's", () => {
    // slack_unavailable: the preflight got no answer from Slack (a gateway's 502), never a bad request.
    const fiveHundreds: Partial<Record<string, number>> = { internal_error: 500, slack_unavailable: 502 };
    for (const code of ERROR_CODES) {
      const status = STATUS_OF[code];
      const fixed = fiveHundreds[code];
      const expected = fixed ? [fixed, fixed] : [400, 499];
      expect(status, code).toBeGreaterThanOrEqual(expected[0] as number);
      expect(status, code).toBeLessThanOrEqual(expected[1] as number);
    }
  });

  it("answers ids that cannot be ids with 404 before any lookup", async () => {
    const store = new FakeStore();
    const lookup = vi.spyOn(store, "getNotification");
    for (const id of ["x".repeat(1100), "ntf_short", "../etc"]) {
      const res = await call({ store }, "GET", `/v1/workspaces/${WS}/notifications/${encodeURIComponent(id)}`);
      expect(res.statusCode, id).toBe(404);
      expect(res.json.error.code).toBe("not_found");
    }
    const longWs = await call({ store }, "GET", `/v1/workspaces/ws_${"A".repeat(1100)}/notifications`);
    expect(longWs.statusCode).toBe(404);
    expect(lookup).not.toHaveBeenCalled();
  });

  it("takes JSON in UTF-8 only: a charset other than UTF-8 is 415", async () => {
    const preview = (contentType: string) =>
      call({}, "POST", `/v1/workspaces/${WS}/events/preview`, { body: {}, contentType });
    for (const type of ["application/json; charset=iso-8859-1", "application/json;charset=utf-16", "text/json"]) {
      const res = await preview(type);
      expect(res.statusCode, type).toBe(415);
      expect(res.json.error.code).toBe("unsupported_media_type");
    }
    // Past the media type to the body's validation: these are JSON in UTF-8.
    for (const type of [
      "application/json; charset=UTF-8",
      'application/json; charset="utf-8"',
      "application/json; charset=us-ascii",
      "application/merge-patch+json",
    ])
      expect((await preview(type)).json.error.code, type).toBe("validation_error");
  });

  it("a known path with the wrong method is 405 with Allow; an unknown path 404", async () => {
    const wrong = await call({}, "DELETE", `/v1/workspaces/${WS}/events`);
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers.allow).toBe("POST");
    expect((await call({}, "GET", "/v2/nothing")).json.error.code).toBe("not_found");
  });

  it("a failure of ours is a bare 500, logged with its message and stack and the request id, never the body", async () => {
    const store = new FakeStore();
    vi.spyOn(store, "getIntegration").mockRejectedValue(new Error("DynamoDB is down"));
    const {
      result: res,
      lines,
      raw,
    } = await captureLogs(() =>
      call({ store }, "POST", `/v1/workspaces/${WS}/events`, {
        body: {
          event_id: "e-1",
          type: "execution_started",
          cluster: { name: "c" },
          data: { execution_id: "x", current_version: "1", target_version: "2" },
          labels: { secret: "SENSITIVE-BODY" },
        },
      }),
    );
    expect(res.statusCode).toBe(500);
    expect(res.json).toEqual({
      error: { code: "internal_error", message: "Something went wrong on our side; it has been logged." },
    });
    const line = lines.find((l) => l.message === "unhandled error") as { error: { stack: string } };
    expect(line).toMatchObject({
      level: "ERROR",
      function_request_id: "req-edge-1",
      error: { message: "DynamoDB is down" },
    });
    expect(line.error.stack).toMatch(/at /);
    expect(raw).not.toContain("SENSITIVE-BODY");
  });
});

describe("route paths as API Gateway reads them", () => {
  it("a {name} is one segment, a trailing {proxy+} any rest of the path, a trailing slash optional", () => {
    const one = routePathPattern("/v1/workspaces/{ws}/tokens");
    expect(["/v1/workspaces/ws_1/tokens", "/v1/workspaces/ws_1/tokens/"].map((p) => one.test(p))).toEqual([true, true]);
    expect(one.test("/v1/workspaces/a/b/tokens")).toBe(false);
    const greedy = routePathPattern("/console/{proxy+}");
    expect(["/console", "/console/", "/console/assets/main-ABCDEFGH.js"].every((p) => greedy.test(p))).toBe(true);
    expect(greedy.test("/consoles/x")).toBe(false);
  });

  it("the console's paths need no token, the API's do", () => {
    expect(["/console", "/console/", "/console/assets/x.js", "/health"].every(isPublicPath)).toBe(true);
    expect(["/v1/workspaces", "/v1/me", "/consolex"].some(isPublicPath)).toBe(false);
  });

  it("a known console path with another method is a 405, naming GET once", async () => {
    const res = await call({}, "POST", "/console/assets/main.js");
    expect(res.statusCode).toBe(405);
    // /console/ is both the page's route and its assets' (an empty rest): the method is still named once.
    const page = await call({}, "HEAD", "/console/");
    expect(page.statusCode).toBe(405);
    expect(page.headers.allow).toBe("GET");
  });
});
