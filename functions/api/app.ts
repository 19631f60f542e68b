import middy from "@middy/core";
import httpRouterHandler, { type Route } from "@middy/http-router";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import type { Context } from "aws-lambda";
import { flushMetrics, logger } from "../adapters/observability";
import { consoleHandlers } from "./handlers/console";
import { eventHandlers } from "./handlers/events";
import { integrationHandlers } from "./handlers/integration";
import { metaHandlers } from "./handlers/meta";
import { notificationHandlers } from "./handlers/notifications";
import { tokenHandlers } from "./handlers/tokens";
import type { ApiDeps, Handler } from "./handlers/types";
import { workspaceHandlers } from "./handlers/workspaces";
import { type ApiEvent, type ApiResult, authorize, errorEnvelope, errorResponse, jsonBody, pathIds } from "./http";
import { ROUTES, type RouteId, routePathPattern } from "./routes";

export type { ApiDeps } from "./handlers/types";

/** The API function: the route table's routes, each with its access check, id check and body parsing. */
export function makeApi(deps: ApiDeps) {
  const handlers: Record<RouteId, Handler> = {
    ...metaHandlers(),
    ...consoleHandlers(),
    ...workspaceHandlers(deps),
    ...tokenHandlers(deps),
    ...integrationHandlers(deps),
    ...eventHandlers(deps),
    ...notificationHandlers(deps),
  };

  const routes: Route<ApiEvent, ApiResult>[] = ROUTES.map((route) => {
    const handler = middy<ApiEvent, ApiResult, Error, Context>(handlers[route.id]);
    if (route.access !== "public") handler.use(authorize(route.access));
    if ("ids" in route) handler.use(pathIds(route.ids));
    handler.use(jsonBody(route.body));
    return { method: route.method, path: route.path, handler };
  });

  const patterns = ROUTES.map(({ method, path }) => ({ method, regex: routePathPattern(path) }));

  /** A known path with another method is a 405 naming the allowed ones (with Allow); anything else a 404. */
  const notFoundResponse = ({ path }: { method: string; path: string }): ApiResult => {
    // Two routes can share a method on one path (/console/ is the page's route and its assets' too): named once.
    const allowed = [...new Set(patterns.filter((p) => p.regex.test(path)).map((p) => p.method))];
    if (allowed.length) {
      return errorResponse(405, "method_not_allowed", `Use ${allowed.join(" or ")} on this path.`, {
        headers: { allow: allowed.join(", ") },
      });
    }
    return errorResponse(404, "not_found", "No such route.");
  };

  return middy<ApiEvent, ApiResult, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({ after: flushMetrics, onError: flushMetrics })
    .use(errorEnvelope())
    .handler(
      // The router returns what notFoundResponse returns; its type says it must throw.
      httpRouterHandler({ routes, notFoundResponse: notFoundResponse as unknown as () => never }) as unknown as (
        event: ApiEvent,
        context: Context,
      ) => Promise<ApiResult>,
    );
}
