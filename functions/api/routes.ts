import type * as z from "zod";
import { eventSchema } from "../core/events";
import { ID_PATTERNS } from "../core/identity";
import { integrationBodySchema } from "../core/integration";
import { createTokenBody } from "../core/use-cases/tokens";
import { listQuerySchema } from "../core/use-cases/notifications";
import { createWorkspaceBody } from "../core/use-cases/workspaces";
import type { Access, BodyMode } from "./http";
import {
  acceptedEventSchema,
  healthSchema,
  integrationViewSchema,
  meSchema,
  notificationPageSchema,
  notificationViewSchema,
  previewSchema,
  testResultsSchema,
  tokenCreatedSchema,
  tokenListSchema,
  workspaceCreatedSchema,
} from "./views";

export type Method = "GET" | "POST" | "PUT" | "DELETE";

interface Answer {
  status: number;
  description: string;
  schema?: z.ZodType;
}

export interface RouteSpec {
  /** Names the handler that serves it (functions/api/handlers). */
  id: string;
  method: Method;
  /** API Gateway's syntax: `{name}` for a path parameter. */
  path: string;
  access: Access;
  body: BodyMode;
  /** The shape each path parameter must have; anything else is a 404. */
  ids?: Record<string, RegExp>;
  summary: string;
  /** The schemas that validate the request: the handlers parse with these same objects. */
  request?: { body?: z.ZodType; query?: z.ZodObject };
  /** The success answer; the error answers follow from access, ids and body (see openapi.ts). */
  success: Answer;
  /** Another success answer the route gives, with its own status. */
  alsoSuccess?: Answer;
}

const ws = { ws: ID_PATTERNS.workspace };
const wsScope = (scope: Extract<Access, object>["scope"]): Access => ({ scope, admin: false });
const tokensAccess: Access = { scope: "tokens:write", admin: true };

/**
 * Every route of the HTTP API, once. The API's router, the local HTTP server (which routes skip the authorizer) and
 * the CDK's HTTP API (`addRoutes`) all read this table; test/infra/routes.test.ts fails when one of them differs.
 */
export const ROUTES = [
  {
    id: "health",
    method: "GET",
    path: "/health",
    access: "public",
    body: "none",
    summary: "Ready check",
    success: { status: 200, description: "Everything is ready", schema: healthSchema },
  },
  {
    id: "openapi",
    method: "GET",
    path: "/v1/openapi.json",
    access: "public",
    body: "none",
    summary: "This document",
    success: { status: 200, description: "The OpenAPI 3.1 document of this API" },
  },
  {
    id: "me",
    method: "GET",
    path: "/v1/me",
    access: "any",
    body: "none",
    summary: "Who this token is (the console signs in with it)",
    success: { status: 200, description: "The token's identity and scopes", schema: meSchema },
  },
  {
    id: "createWorkspace",
    method: "POST",
    path: "/v1/workspaces",
    access: "admin",
    body: "required",
    summary: "Create a workspace and its first token",
    request: { body: createWorkspaceBody },
    success: {
      status: 201,
      description: "The workspace and a token with every workspace scope",
      schema: workspaceCreatedSchema,
    },
  },
  {
    id: "createToken",
    method: "POST",
    path: "/v1/workspaces/{ws}/tokens",
    access: tokensAccess,
    body: "required",
    ids: ws,
    summary: "Create a token with some scopes",
    request: { body: createTokenBody },
    success: { status: 201, description: "The token (its secret is shown only here)", schema: tokenCreatedSchema },
  },
  {
    id: "listTokens",
    method: "GET",
    path: "/v1/workspaces/{ws}/tokens",
    access: tokensAccess,
    body: "none",
    ids: ws,
    summary: "List the workspace's tokens",
    success: { status: 200, description: "Tokens, oldest first, without their secrets", schema: tokenListSchema },
  },
  {
    id: "deleteToken",
    method: "DELETE",
    path: "/v1/workspaces/{ws}/tokens/{id}",
    access: tokensAccess,
    body: "none",
    ids: { ...ws, id: ID_PATTERNS.token },
    summary: "Revoke a token",
    success: { status: 204, description: "Revoked; it stops working at once (within the authorizer cache TTL)" },
  },
  {
    id: "putIntegration",
    method: "PUT",
    path: "/v1/workspaces/{ws}/integrations/slack",
    access: wsScope("integration:write"),
    body: "required",
    ids: ws,
    summary: "Connect Slack, or change its settings (a new token is checked with Slack's auth.test first)",
    request: { body: integrationBodySchema },
    success: { status: 200, description: "The integration", schema: integrationViewSchema },
  },
  {
    id: "getIntegration",
    method: "GET",
    path: "/v1/workspaces/{ws}/integrations/slack",
    access: wsScope("integration:read"),
    body: "none",
    ids: ws,
    summary: "The Slack integration (404 not_connected when there is none)",
    success: { status: 200, description: "The integration", schema: integrationViewSchema },
  },
  {
    id: "deleteIntegration",
    method: "DELETE",
    path: "/v1/workspaces/{ws}/integrations/slack",
    access: wsScope("integration:write"),
    body: "none",
    ids: ws,
    summary: "Disconnect Slack and erase the credential",
    success: { status: 204, description: "Disconnected" },
  },
  {
    id: "testIntegration",
    method: "POST",
    path: "/v1/workspaces/{ws}/integrations/slack/test",
    access: wsScope("integration:write"),
    body: "optional",
    ids: ws,
    summary: "Send the test message to every channel (queued like any notification, in each channel's order and pace)",
    success: {
      status: 200,
      description: "Each channel's result, waited for up to 20 s: pending for a channel still busy then",
      schema: testResultsSchema,
    },
  },
  {
    id: "postEvent",
    method: "POST",
    path: "/v1/workspaces/{ws}/events",
    access: wsScope("events:write"),
    body: "required",
    ids: ws,
    summary: "Accept an upgrade event (200 for a repeat of a known event_id)",
    request: { body: eventSchema },
    success: {
      status: 202,
      description: "Accepted: one pending notification per channel",
      schema: acceptedEventSchema,
    },
    alsoSuccess: {
      status: 200,
      description: "A repeat of a known event_id with the same body: the first answer again, nothing new sent",
      schema: acceptedEventSchema,
    },
  },
  {
    id: "previewEvent",
    method: "POST",
    path: "/v1/workspaces/{ws}/events/preview",
    access: wsScope("events:write"),
    body: "required",
    ids: ws,
    summary: "The exact Slack payloads an event would produce; nothing stored or sent",
    request: { body: eventSchema },
    success: { status: 200, description: "One message per channel", schema: previewSchema },
  },
  {
    id: "listNotifications",
    method: "GET",
    path: "/v1/workspaces/{ws}/notifications",
    access: wsScope("notifications:read"),
    body: "none",
    ids: ws,
    summary: "The notification log, newest first",
    request: { query: listQuerySchema },
    success: { status: 200, description: "A page of notifications", schema: notificationPageSchema },
  },
  {
    id: "getNotification",
    method: "GET",
    path: "/v1/workspaces/{ws}/notifications/{id}",
    access: wsScope("notifications:read"),
    body: "none",
    ids: { ...ws, id: ID_PATTERNS.notification },
    summary: "One notification",
    success: { status: 200, description: "The notification", schema: notificationViewSchema },
  },
  {
    id: "retryNotification",
    method: "POST",
    path: "/v1/workspaces/{ws}/notifications/{id}/retry",
    access: wsScope("integration:write"),
    body: "optional",
    ids: { ...ws, id: ID_PATTERNS.notification },
    summary: "Deliver a failed notification again",
    success: { status: 202, description: "Back to pending", schema: notificationViewSchema },
  },
  // The console (contract section 6): static files, no token. API Gateway refuses a route path ending in "/"; the
  // router takes a trailing "/" as optional, so /console/ is the page too. The greedy route carries the assets.
  {
    id: "console",
    method: "GET",
    path: "/console",
    access: "public",
    body: "none",
    summary: "The Integrations console (index.html)",
    success: { status: 200, description: "The console's page (text/html)" },
  },
  {
    id: "consoleAsset",
    method: "GET",
    path: "/console/{proxy+}",
    access: "public",
    body: "none",
    summary: "The console's scripts and style sheets (hashed names, cached for a year)",
    success: { status: 200, description: "A static file of the console" },
  },
] as const satisfies readonly RouteSpec[];

export type RouteId = (typeof ROUTES)[number]["id"];

/** Routes API Gateway serves without the authorizer (their paths as in the table, `{name}` and `{proxy+}` kept). */
export const PUBLIC_PATHS: readonly string[] = ROUTES.filter((r) => r.access === "public").map((r) => r.path);

/**
 * What a route path matches, as API Gateway reads it: `{name}` is one segment, a trailing `{proxy+}` greedy
 * (any rest of the path), and a trailing slash is optional.
 */
export const routePathPattern = (path: string) =>
  new RegExp(`^${path.replace(/\/\{[^/]+\+\}$/, "(?:/.*)?").replace(/\{[^/+]+\}/g, "[^/]+")}/?$`);

const publicPatterns = PUBLIC_PATHS.map(routePathPattern);
/** Whether a request path is served without the authorizer. */
export const isPublicPath = (path: string) => publicPatterns.some((p) => p.test(path));
