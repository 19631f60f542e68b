import type { MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from "aws-lambda";
import { logger } from "../adapters/observability";
import { ApiError, badRequest, notFound } from "../core/errors";
import { type Principal, SCOPES, type Scope } from "../core/identity";
import { jsonBodyProblem } from "../core/validation";

export const MAX_BODY_BYTES = 64 * 1024;

export type ApiEvent = APIGatewayProxyEventV2 & { principal?: Principal; json?: unknown };
export type ApiResult = Exclude<APIGatewayProxyResultV2, string>;
type Middleware = MiddlewareObj<ApiEvent, ApiResult, Error, Context>;

export const json = (statusCode: number, body?: unknown, headers: Record<string, string> = {}): ApiResult => ({
  statusCode,
  headers: { ...(body === undefined ? {} : { "content-type": "application/json; charset=utf-8" }), ...headers },
  body: body === undefined ? "" : JSON.stringify(body),
});

const errorBody = (e: ApiError) => ({
  error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) },
});

/** The one place errors become responses: known ones keep their status and code, anything else is a bare 500. */
export const errorEnvelope = (): Middleware => ({
  onError: async (request) => {
    const err = request.error;
    if (err instanceof ApiError) {
      request.response = json(err.status, errorBody(err), err.headers);
      return;
    }
    logger.error("unhandled error", { error: err?.name, code: (err as { code?: unknown })?.code });
    request.response = json(500, {
      error: { code: "internal_error", message: "Something went wrong on our side; it has been logged." },
    });
  },
});

const decodeBody = (event: APIGatewayProxyEventV2): Buffer =>
  event.body ? Buffer.from(event.body, event.isBase64Encoded ? "base64" : "utf8") : Buffer.alloc(0);

const isJsonType = (type: string | undefined) => {
  const media = (type ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  return media === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(media);
};

/**
 * 413 over 64 KiB, 415 for a body that is not declared JSON, 400 invalid_json for one that does not parse, 400
 * validation_error for JSON nested deeper than 32 levels or holding unpaired surrogates.
 */
export const jsonBody = (opts: { required: boolean }): Middleware => ({
  before: async ({ event }) => {
    const raw = decodeBody(event);
    if (raw.length > MAX_BODY_BYTES)
      throw new ApiError(413, "payload_too_large", `The body is larger than ${MAX_BODY_BYTES} bytes.`);
    if (raw.length === 0) {
      if (opts.required) throw badRequest("invalid_json", "This route needs a JSON object body.");
      return;
    }
    if (!isJsonType(event.headers?.["content-type"])) {
      throw new ApiError(415, "unsupported_media_type", "Send the body as application/json.");
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(raw));
    } catch {
      throw badRequest("invalid_json", "The body is not valid UTF-8 JSON.");
    }
    // Once, here: no route, schema, hash or renderer behind this sees deep nesting or lone surrogates.
    const problem = jsonBodyProblem(parsed);
    if (problem) {
      throw badRequest(
        "validation_error",
        `The request body is not valid: ${problem.path || "(root)"}: ${problem.message}`,
        [problem],
      );
    }
    event.json = parsed;
  },
});

/** Reads the principal the authorizer put on the request (API Gateway's Lambda authorizer, or the local server's). */
export function principalOf(event: APIGatewayProxyEventV2): Principal {
  const ctx = (event.requestContext as { authorizer?: { lambda?: Record<string, unknown> } }).authorizer?.lambda ?? {};
  const tokenId = typeof ctx.token_id === "string" ? ctx.token_id : "";
  if (ctx.kind === "admin" && tokenId) return { kind: "admin", tokenId };
  if (ctx.kind === "workspace" && tokenId && typeof ctx.workspace_id === "string") {
    const scopes = String(ctx.scopes ?? "")
      .split(" ")
      .filter((s): s is Scope => (SCOPES as readonly string[]).includes(s));
    return { kind: "workspace", tokenId, workspaceId: ctx.workspace_id, scopes };
  }
  return { kind: "anonymous" };
}

export type Access = { scope: Scope; admin: boolean } | "admin";

/**
 * 401 without a valid token, 404 for a workspace token on another workspace (existence is not disclosed), 403 when
 * the token lacks the route's scope.
 */
export const authorize = (access: Access): Middleware => ({
  before: async ({ event }) => {
    const principal = principalOf(event);
    if (principal.kind === "anonymous") throw new ApiError(401, "unauthorized", "A valid bearer token is required.");
    event.principal = principal;
    const adminAllowed = access === "admin" || access.admin;
    if (principal.kind === "admin") {
      if (adminAllowed) return;
      throw new ApiError(
        403,
        "forbidden",
        `The admin token cannot call this route; use a workspace token with ${typeof access === "string" ? access : access.scope}.`,
      );
    }
    if (access === "admin") throw new ApiError(403, "forbidden", "This route needs the admin token.");
    const ws = event.pathParameters?.ws;
    if (ws !== undefined && ws !== principal.workspaceId) throw notFound();
    if (!principal.scopes.includes(access.scope))
      throw new ApiError(403, "forbidden", `This token lacks the ${access.scope} scope.`);
  },
});
