import { emit } from "../../adapters/observability";
import { METRICS } from "../../core/operational";
import { acceptEvent, previewEvent } from "../../core/use-cases/events";
import { json } from "../http";
import { type ApiDeps, type Handlers, param } from "./types";

export const eventHandlers = (deps: ApiDeps): Handlers<"postEvent" | "previewEvent"> => ({
  postEvent: async (event) => {
    const result = await acceptEvent({ integrations: deps.store, events: deps.store }, param(event, "ws"), event.json);
    if (result.kind === "repeat") return json(200, result.response);
    emit(METRICS.eventsAccepted);
    emit(METRICS.notificationsCreated, result.notificationsCreated);
    return json(202, result.response);
  },
  previewEvent: async (event) =>
    json(
      200,
      await previewEvent(
        { integrations: deps.store, threads: deps.store, dashboardUrl: deps.dashboardUrl },
        param(event, "ws"),
        event.json,
      ),
    ),
});
