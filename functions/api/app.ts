import middy from "@middy/core";
import httpRouterHandler, { type Route } from "@middy/http-router";
import type { Context } from "aws-lambda";
import * as z from "zod";
import type { Config } from "../adapters/config";
import type { DynamoStore } from "../adapters/dynamo-store";
import { flushMetrics, metrics } from "../adapters/observability";
import { renderEvent, renderTest, slackPayload } from "../core/block-kit";
import { payloadHash } from "../core/canonical";
import { newNotification, runAttempts, withCredential } from "../core/delivery";
import { ApiError, conflict, notFound } from "../core/errors";
import { EVENT_TYPES, eventSchema } from "../core/events";
import { selectChannels } from "../core/fan-out";
import { issueToken, newId, type Principal, SCOPES, type Scope, scopesSchema, tokenNameSchema } from "../core/identity";
import { credentialHint, planIntegrationUpdate } from "../core/integration";
import type {
  AcceptedEventResponse,
  CredentialCipher,
  IntegrationRecord,
  NotificationRecord,
  SlackSender,
  TokenRecord,
} from "../core/ports";
import { MAX_ATTEMPTS } from "../core/retry-policy";
import { parseOrThrow } from "../core/validation";
import { type Access, type ApiEvent, type ApiResult, authorize, errorEnvelope, json, jsonBody } from "./http";

export interface ApiDeps {
  store: DynamoStore;
  cipher: CredentialCipher;
  sender: SlackSender;
  config: Config;
  sleep(ms: number): Promise<void>;
}

const integrationView = (r: IntegrationRecord) => ({
  workspace_id: r.workspace_id,
  connected: true,
  method: r.method,
  credential_hint: r.credential_hint,
  channels: r.channels,
  enabled: r.enabled,
  conditions: r.conditions,
  created_at: r.created_at,
  updated_at: r.updated_at,
});

export const notificationView = (n: NotificationRecord) => ({
  id: n.id,
  event_id: n.event_id,
  type: n.type,
  channel: n.channel,
  status: n.status,
  attempts: n.attempts,
  ...(n.error ? { error: n.error } : {}),
  created_at: n.created_at,
  updated_at: n.updated_at,
  ...(n.delivered_at ? { delivered_at: n.delivered_at } : {}),
});

const tokenView = (t: TokenRecord) => ({ id: t.id, name: t.name, scopes: t.scopes, created_at: t.created_at });

const listQuerySchema = z.object({
  status: z.enum(["pending", "delivered", "failed"]).optional(),
  type: z.enum([...EVENT_TYPES, "test"]).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().min(1).max(512).optional(),
});

/** A test post must answer within API Gateway's 30 s: retries wait at most this long in all. */
const TEST_WAIT_BUDGET_MS = 5_000;

export function makeApi(deps: ApiDeps) {
  const { store, cipher, sender, config } = deps;
  const wsOf = (event: ApiEvent) => event.pathParameters?.ws as string;
  const principal = (event: ApiEvent) => event.principal as Principal;
  const mustHaveWorkspace = async (id: string) => {
    if (!(await store.getWorkspace(id))) throw notFound();
  };

  const createWorkspace = async (event: ApiEvent): Promise<ApiResult> => {
    const body = parseOrThrow(z.object({ name: z.string().trim().min(1).max(100) }), event.json);
    const workspaceId = newId("ws");
    const { token, record } = issueToken({
      name: "default",
      workspace_id: workspaceId,
      admin: false,
      scopes: [...SCOPES],
    });
    await store.createWorkspace({ workspace_id: workspaceId, name: body.name, created_at: record.created_at }, record);
    return json(201, { workspace_id: workspaceId, name: body.name, token });
  };

  const createToken = async (event: ApiEvent): Promise<ApiResult> => {
    const ws = wsOf(event);
    await mustHaveWorkspace(ws);
    const body = parseOrThrow(z.object({ name: tokenNameSchema, scopes: scopesSchema }), event.json);
    const caller = principal(event);
    if (caller.kind === "workspace") {
      const missing = body.scopes.filter((s) => !caller.scopes.includes(s));
      if (missing.length)
        throw new ApiError(403, "forbidden", `A token cannot grant scopes it lacks: ${missing.join(", ")}.`);
    }
    const { token, record } = issueToken({ name: body.name, workspace_id: ws, admin: false, scopes: body.scopes });
    await store.putToken(record);
    return json(201, { id: record.id, name: record.name, scopes: record.scopes, token });
  };

  const listTokens = async (event: ApiEvent): Promise<ApiResult> => {
    const ws = wsOf(event);
    await mustHaveWorkspace(ws);
    const items = (await store.listTokens(ws)).sort((a, b) => a.created_at.localeCompare(b.created_at));
    return json(200, { items: items.map(tokenView) });
  };

  const deleteToken = async (event: ApiEvent): Promise<ApiResult> => {
    const ws = wsOf(event);
    await mustHaveWorkspace(ws);
    if (!(await store.deleteToken(ws, event.pathParameters?.id ?? ""))) throw notFound("No such token.");
    return json(204);
  };

  const putIntegration = async (event: ApiEvent): Promise<ApiResult> => {
    const ws = wsOf(event);
    const stored = await store.getIntegration(ws);
    const plan = planIntegrationUpdate(event.json, stored);
    const now = new Date().toISOString();
    const connection_id = stored?.connection_id ?? newId("conn");
    let credential = stored?.credential;
    let hint = stored?.credential_hint;
    if (plan.credential) {
      const plain = Buffer.from(plan.credential.secret, "utf8");
      try {
        credential = await cipher.seal(plain, { workspace_id: ws, method: plan.credential.method, connection_id });
      } finally {
        plain.fill(0);
      }
      hint = credentialHint(plan.credential.secret);
    }
    const record: IntegrationRecord = {
      workspace_id: ws,
      ...plan.settings,
      credential: credential as IntegrationRecord["credential"],
      credential_hint: hint as string,
      connection_id,
      created_at: stored?.created_at ?? now,
      updated_at: now,
    };
    await store.putIntegration(record);
    return json(200, integrationView(record));
  };

  const connected = async (ws: string, status: 404 | 409) => {
    const integration = await store.getIntegration(ws);
    if (!integration) throw new ApiError(status, "not_connected", "Slack is not connected for this workspace.");
    return integration;
  };

  const getIntegration = async (event: ApiEvent) => json(200, integrationView(await connected(wsOf(event), 404)));

  const deleteIntegration = async (event: ApiEvent): Promise<ApiResult> => {
    await store.deleteIntegration(wsOf(event));
    return json(204);
  };

  const testIntegration = async (event: ApiEvent): Promise<ApiResult> => {
    const ws = wsOf(event);
    const integration = await connected(ws, 409);
    const results = await withCredential(cipher, ws, integration, (secret) =>
      Promise.all(
        integration.channels.map(async ({ name: channel }) => {
          const record = newNotification({
            workspace_id: ws,
            event_id: "test",
            type: "test",
            channel,
            connection_id: integration.connection_id,
          });
          const message = renderTest({
            workspaceId: ws,
            channel,
            dashboardUrl: config.DASHBOARD_URL,
            at: record.created_at,
          });
          let attempt = 0;
          let waited = 0;
          const outcome = await runAttempts({
            begin: async () => (attempt < MAX_ATTEMPTS ? ++attempt : { stop: "attempts_exhausted" }),
            post: () => sender.post({ method: integration.method, secret, channel }, message),
            sleep: async (ms) => {
              waited += ms;
              await deps.sleep(ms);
            },
            waitBudgetMs: () => TEST_WAIT_BUDGET_MS - waited,
          });
          // Sent synchronously, so the record is written in its final state and the pipe never queues it.
          const now = new Date().toISOString();
          const error = outcome.status === "delivered" ? undefined : outcome.error;
          await store.putNotification({
            ...record,
            status: error ? "failed" : "delivered",
            attempts: attempt,
            ...(error ? { error } : { delivered_at: now }),
            updated_at: now,
          });
          return {
            channel,
            status: error ? "failed" : "delivered",
            ...(error ? { error } : {}),
            notification_id: record.id,
          };
        }),
      ),
    );
    return json(200, { results });
  };

  const parseEvent = (event: ApiEvent) => {
    const parsed = parseOrThrow(eventSchema, event.json, "event");
    return { ...parsed, occurred_at: parsed.occurred_at ?? new Date().toISOString() };
  };

  const postEvent = async (event: ApiEvent): Promise<ApiResult> => {
    const ws = wsOf(event);
    const upgrade = parseEvent(event);
    const hash = payloadHash(event.json);
    const integration = await store.getIntegration(ws);
    const fanOut = selectChannels(integration, upgrade);
    const now = new Date().toISOString();
    const notifications = fanOut.channels.map((channel) =>
      newNotification(
        {
          workspace_id: ws,
          event_id: upgrade.event_id,
          type: upgrade.type,
          channel,
          connection_id: integration?.connection_id ?? "",
        },
        now,
      ),
    );
    const response: AcceptedEventResponse = {
      event_id: upgrade.event_id,
      notifications: notifications.map((n) => ({ id: n.id, channel: n.channel, status: n.status })),
      ...("skipped" in fanOut ? { skipped: fanOut.skipped } : {}),
    };
    const result = await store.acceptEvent(
      { workspace_id: ws, event_id: upgrade.event_id, payload_hash: hash, event: upgrade, response, created_at: now },
      notifications,
    );
    if (!result.stored) {
      if (result.existing.payload_hash !== hash) {
        throw conflict("event_id_conflict", `Event ${upgrade.event_id} was already accepted with a different payload.`);
      }
      return json(200, result.existing.response);
    }
    metrics.addMetric("EventsAccepted", "Count", 1);
    metrics.addMetric("NotificationsCreated", "Count", notifications.length);
    return json(202, response);
  };

  const previewEvent = async (event: ApiEvent): Promise<ApiResult> => {
    const upgrade = parseEvent(event);
    const integration = await store.getIntegration(wsOf(event));
    const fanOut = selectChannels(integration, upgrade);
    const message = renderEvent(upgrade, { defaultDashboardUrl: config.DASHBOARD_URL });
    const method = integration?.method ?? "bot_token";
    return json(200, {
      messages: fanOut.channels.map((channel) => ({ channel, payload: slackPayload(method, channel, message) })),
      ...("skipped" in fanOut ? { skipped: fanOut.skipped } : {}),
    });
  };

  const listNotifications = async (event: ApiEvent): Promise<ApiResult> => {
    const q = parseOrThrow(listQuerySchema, event.queryStringParameters ?? {}, "query");
    const page = await store.listNotifications(wsOf(event), q);
    return json(200, { items: page.items.map(notificationView), next_cursor: page.next_cursor });
  };

  const getNotification = async (event: ApiEvent): Promise<ApiResult> => {
    const n = await store.getNotification(wsOf(event), event.pathParameters?.id ?? "");
    if (!n) throw notFound("No such notification.");
    return json(200, notificationView(n));
  };

  const retryNotification = async (event: ApiEvent): Promise<ApiResult> => {
    const ws = wsOf(event);
    const id = event.pathParameters?.id ?? "";
    const requeued = await store.requeue(ws, id);
    if (requeued) return json(202, notificationView(requeued));
    const n = await store.getNotification(ws, id);
    if (!n) throw notFound("No such notification.");
    throw conflict("invalid_state", `Only a failed notification can be retried; this one is ${n.status}.`);
  };

  const health = async (): Promise<ApiResult> => json(200, { status: "ok" });

  type Handler = (event: ApiEvent) => Promise<ApiResult>;
  const wsScope = (scope: Scope): Access => ({ scope, admin: false });
  const tokensAccess: Access = { scope: "tokens:write", admin: true };
  const spec: [Route<ApiEvent, ApiResult>["method"], string, Access | null, "body" | "optional" | "none", Handler][] = [
    ["GET", "/health", null, "none", health],
    ["POST", "/v1/workspaces", "admin", "body", createWorkspace],
    ["POST", "/v1/workspaces/{ws}/tokens", tokensAccess, "body", createToken],
    ["GET", "/v1/workspaces/{ws}/tokens", tokensAccess, "none", listTokens],
    ["DELETE", "/v1/workspaces/{ws}/tokens/{id}", tokensAccess, "none", deleteToken],
    ["PUT", "/v1/workspaces/{ws}/integrations/slack", wsScope("integration:write"), "body", putIntegration],
    ["GET", "/v1/workspaces/{ws}/integrations/slack", wsScope("integration:read"), "none", getIntegration],
    ["DELETE", "/v1/workspaces/{ws}/integrations/slack", wsScope("integration:write"), "none", deleteIntegration],
    ["POST", "/v1/workspaces/{ws}/integrations/slack/test", wsScope("integration:write"), "optional", testIntegration],
    ["POST", "/v1/workspaces/{ws}/events", wsScope("events:write"), "body", postEvent],
    ["POST", "/v1/workspaces/{ws}/events/preview", wsScope("events:write"), "body", previewEvent],
    ["GET", "/v1/workspaces/{ws}/notifications", wsScope("notifications:read"), "none", listNotifications],
    ["GET", "/v1/workspaces/{ws}/notifications/{id}", wsScope("notifications:read"), "none", getNotification],
    [
      "POST",
      "/v1/workspaces/{ws}/notifications/{id}/retry",
      wsScope("integration:write"),
      "optional",
      retryNotification,
    ],
  ];

  const routes: Route<ApiEvent, ApiResult>[] = spec.map(([method, path, access, body, impl]) => {
    const handler = middy<ApiEvent, ApiResult, Error, Context>(impl);
    if (access) handler.use(authorize(access));
    if (body !== "none") handler.use(jsonBody({ required: body === "body" }));
    return { method, path, handler };
  });

  const patterns = spec.map(([method, path]) => ({
    method,
    regex: new RegExp(`^${path.replace(/\{[^/]+\}/g, "[^/]+")}/?$`),
  }));

  /** A known path with another method is a 405 naming the allowed ones; anything else a 404. */
  const notFoundResponse = ({ path }: { method: string; path: string }): never => {
    const allowed = patterns.filter((p) => p.regex.test(path)).map((p) => p.method);
    if (allowed.length) {
      throw new ApiError(405, "method_not_allowed", `Use ${allowed.join(" or ")} on this path.`, undefined, {
        allow: allowed.join(", "),
      });
    }
    throw notFound("No such route.");
  };

  return middy<ApiEvent, ApiResult, Error, Context>()
    .use({ after: flushMetrics, onError: flushMetrics })
    .use(errorEnvelope())
    .handler(
      httpRouterHandler({ routes, notFoundResponse }) as unknown as (
        event: ApiEvent,
        context: Context,
      ) => Promise<ApiResult>,
    );
}
