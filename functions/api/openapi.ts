import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from "zod-openapi";
import * as z from "zod";
import type { ErrorCode } from "../core/errors";
import { STATUS_OF } from "./error-status";
import { ROUTES, type RouteSpec } from "./routes";
import { errorSchema } from "./views";

const errorAnswer = (description: string) => ({
  description,
  content: { "application/json": { schema: errorSchema } },
});

/** The error answers a route can give, from what the table says about it. */
function errorAnswers(route: RouteSpec): ZodOpenApiOperationObject["responses"] {
  const out: Record<string, ReturnType<typeof errorAnswer>> = {};
  const codesAt = (status: number) =>
    (Object.entries(STATUS_OF) as [ErrorCode, number][]).filter(([, s]) => s === status).map(([c]) => c);
  if (route.body !== "none" || route.request?.query)
    out["400"] = errorAnswer(`Invalid request: ${codesAt(400).join(", ")}`);
  if (route.access !== "public") {
    out["401"] = errorAnswer("unauthorized: a missing, unknown or revoked token");
    if (route.access !== "any") out["403"] = errorAnswer("forbidden: the token lacks the route's scope");
  }
  if (route.ids || (route.access !== "public" && route.access !== "any"))
    out["404"] = errorAnswer("not_found: no such resource, or another workspace's (existence is not disclosed)");
  if (route.id === "getIntegration") out["404"] = errorAnswer("not_found, or not_connected: Slack is not connected");
  if (["postEvent", "testIntegration", "retryNotification"].includes(route.id))
    out["409"] = errorAnswer("event_id_conflict, not_connected or invalid_state");
  if (route.id === "putIntegration")
    out["502"] = errorAnswer("slack_unavailable: Slack did not answer the preflight (auth.test); nothing was stored");
  // On every route: a route that reads no body still refuses one it could not read.
  out["413"] = errorAnswer("payload_too_large: the body is over 64 KiB");
  out["415"] = errorAnswer("unsupported_media_type: a body is sent as application/json, uncompressed");
  out["500"] = errorAnswer("internal_error: a failure of ours, logged with the request id");
  return out;
}

/**
 * Who may call the route, as OpenAPI 3.1 says it for a bearer scheme: the roles a token needs (the admin token is the
 * role `admin`; a workspace token holds its scopes), one requirement per alternative.
 */
function securityOf(access: RouteSpec["access"]): ZodOpenApiOperationObject["security"] {
  if (access === "public") return [];
  if (access === "any") return [{ bearer: [] }];
  if (access === "admin") return [{ bearer: ["admin"] }];
  return access.admin ? [{ bearer: ["admin"] }, { bearer: [access.scope] }] : [{ bearer: [access.scope] }];
}

function operation(route: RouteSpec): ZodOpenApiOperationObject {
  const names = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);
  const path = names.length
    ? z.object(Object.fromEntries(names.map((n) => [n, z.string().regex(route.ids?.[n] ?? /.+/)])))
    : undefined;
  const answer = (a: RouteSpec["success"]) => ({
    [String(a.status)]: {
      description: a.description,
      ...(a.schema ? { content: { "application/json": { schema: a.schema } } } : {}),
    },
  });
  return {
    operationId: route.id,
    summary: route.summary,
    security: securityOf(route.access),
    requestParams: { ...(path ? { path } : {}), ...(route.request?.query ? { query: route.request.query } : {}) },
    ...(route.request?.body
      ? {
          requestBody: {
            required: route.body === "required",
            content: { "application/json": { schema: route.request.body } },
          },
        }
      : {}),
    responses: {
      ...answer(route.success),
      ...(route.alsoSuccess ? answer(route.alsoSuccess) : {}),
      ...errorAnswers(route),
    },
  };
}

let cached: ReturnType<typeof createDocument> | undefined;

/** The OpenAPI 3.1 document, generated from the route table and the zod schemas that validate requests. */
export function openApiDocument() {
  if (cached) return cached;
  const paths: ZodOpenApiPathsObject = {};
  for (const route of ROUTES as readonly RouteSpec[]) {
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation(route) };
  }
  cached = createDocument({
    openapi: "3.1.0",
    info: {
      title: "medulla-slack-notifier",
      version: "1",
      description:
        "Slack notifications for Kubernetes upgrades: workspaces, tokens, the Slack integration, events, the notification log.",
    },
    security: [{ bearer: [] }],
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    paths,
  });
  return cached;
}
