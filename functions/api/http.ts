import type { MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from "aws-lambda";
import { logger } from "../adapters/observability";
import { bodyTooLarge, DomainError, type ErrorCode, invalid, notFound } from "../core/errors";
import { type Principal, SCOPES, type Scope } from "../core/identity";
import { API } from "../core/operational";
import { jsonBodyProblem } from "../core/validation";
import { STATUS_OF } from "./error-status";

export type ApiEvent = APIGatewayProxyEventV2 & { principal?: Principal; json?: unknown };
export type ApiResult = Exclude<APIGatewayProxyResultV2, string>;
type Middleware = MiddlewareObj<ApiEvent, ApiResult, Error, Context>;

/**
 * An API answer. Never stored by a browser or a proxy (`no-store`): some carry a token once (a new workspace, a new
 * token), the rest a workspace's settings and log.
 */
export const json = (statusCode: number, body?: unknown, headers: Record<string, string> = {}): ApiResult => ({
  statusCode,
  headers: {
    ...(body === undefined ? {} : { "content-type": "application/json; charset=utf-8" }),
    "cache-control": "no-store",
    ...headers,
  },
  body: body === undefined ? "" : JSON.stringify(body),
});

/** The contract's error envelope with an explicit status (most errors take theirs from STATUS_OF instead). */
export const errorResponse = (
  status: number,
  code: ErrorCode,
  message: string,
  extra: { details?: DomainError["details"]; headers?: Record<string, string> } = {},
) => json(status, { error: { code, message, ...(extra.details ? { details: extra.details } : {}) } }, extra.headers);

/**
 * The one place thrown errors become responses: a DomainError keeps its code and takes its status from STATUS_OF;
 * anything else is logged with its message and stack and answered with a bare 500 that says nothing more.
 */
export const errorEnvelope = (): Middleware => ({
  onError: async (request) => {
    const err = request.error;
    if (err instanceof DomainError) {
      request.response = errorResponse(STATUS_OF[err.code], err.code, err.message, { details: err.details });
      return;
    }
    // The error itself (name, message, stack), never the request: bodies carry credentials.
    logger.error("unhandled error", { error: err ?? undefined, route: request.event.requestContext?.http?.path });
    request.response = errorResponse(500, "internal_error", "Something went wrong on our side; it has been logged.");
  },
});

const decodeBody = (event: APIGatewayProxyEventV2): Buffer =>
  event.body ? Buffer.from(event.body, event.isBase64Encoded ? "base64" : "utf8") : Buffer.alloc(0);

/** JSON, in UTF-8 (RFC 8259 allows no other charset): a `charset` parameter, when given, must say so. */
const isJsonType = (type: string | undefined) => {
  const [mediaType = "", ...params] = (type ?? "").toLowerCase().split(";");
  const media = mediaType.trim();
  const charset = params.map((p) => /^\s*charset\s*=\s*"?([^"\s]*)"?\s*$/.exec(p)?.[1]).find((c) => c !== undefined);
  return (
    (media === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(media)) &&
    // US-ASCII is a subset of UTF-8.
    (charset === undefined || ["utf-8", "utf8", "us-ascii"].includes(charset))
  );
};

export type BodyMode = "required" | "optional" | "none";

/**
 * On every route, whether it reads a body or not: 413 over 64 KiB, 415 for a body that is not declared JSON. Then,
 * where the route reads one: 400 invalid_json for a body that does not parse, 400 validation_error for JSON nested
 * deeper than 32 levels or holding unpaired surrogates. A route that reads none ignores a JSON body it is sent.
 */
export const jsonBody = (mode: BodyMode): Middleware => ({
  before: async ({ event }) => {
    const raw = decodeBody(event);
    if (raw.length > API.maxBodyBytes) throw bodyTooLarge();
    if (raw.length === 0) {
      if (mode === "required") throw invalid("invalid_json", "This route needs a JSON object body.");
      return;
    }
    if (!isJsonType(event.headers?.["content-type"])) {
      throw new DomainError("unsupported_media_type", "Send the body as application/json, in UTF-8.");
    }
    const coding = (event.headers?.["content-encoding"] ?? "identity").trim().toLowerCase();
    if (coding !== "identity") {
      throw new DomainError("unsupported_media_type", "Send the body uncompressed (no Content-Encoding).");
    }
    if (mode === "none") return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(raw));
    } catch {
      throw invalid("invalid_json", "The body is not valid UTF-8 JSON.");
    }
    // Once, here: no route, schema, hash or renderer behind this sees deep nesting or lone surrogates.
    const problem = jsonBodyProblem(parsed);
    if (problem) {
      throw invalid(
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

/**
 * Who may call a route: nobody in particular, any valid token, the admin token only, or a workspace scope (and maybe
 * the admin).
 */
export type Access = "public" | "any" | "admin" | { scope: Scope; admin: boolean };

/**
 * 401 without a valid token, 404 for a workspace token on another workspace (existence is not disclosed), 403 when
 * the token lacks the route's scope.
 */
export const authorize = (access: Exclude<Access, "public">): Middleware => ({
  before: async ({ event }) => {
    const principal = principalOf(event);
    if (principal.kind === "anonymous") throw new DomainError("unauthorized", "A valid bearer token is required.");
    event.principal = principal;
    if (access === "any") return;
    const adminAllowed = access === "admin" || access.admin;
    if (principal.kind === "admin") {
      if (adminAllowed) return;
      throw new DomainError(
        "forbidden",
        `The admin token cannot call this route; use a workspace token with ${typeof access === "string" ? access : access.scope}.`,
      );
    }
    if (access === "admin") throw new DomainError("forbidden", "This route needs the admin token.");
    const ws = event.pathParameters?.ws;
    if (ws !== undefined && ws !== principal.workspaceId) throw notFound();
    if (!principal.scopes.includes(access.scope))
      throw new DomainError("forbidden", `This token lacks the ${access.scope} scope.`);
  },
});

/** Path ids that cannot be ids of their kind are 404 before anything looks them up (a 1,100-character id is not). */
export const pathIds = (patterns: Record<string, RegExp>): Middleware => ({
  before: async ({ event }) => {
    for (const [name, pattern] of Object.entries(patterns)) {
      if (!pattern.test(event.pathParameters?.[name] ?? "")) throw notFound();
    }
  },
});
