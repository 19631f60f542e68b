import {
  connectIntegration,
  disconnectIntegration,
  getIntegration,
  sendTestMessage,
} from "../../core/use-cases/integration";
import type { IntegrationRecord } from "../../core/ports";
import { errorResponse, json } from "../http";
import { integrationView } from "../views";
import { type ApiDeps, type Handlers, param } from "./types";

export function integrationHandlers(
  deps: ApiDeps,
): Handlers<"putIntegration" | "getIntegration" | "deleteIntegration" | "testIntegration"> {
  const ports = { integrations: deps.store };
  /** The view with every channel's health, read in one request. */
  const viewOf = async (integration: IntegrationRecord) =>
    integrationView(
      integration,
      await deps.store.getChannelHealth(
        integration.workspace_id,
        integration.channels.map((c) => c.name),
      ),
    );
  return {
    putIntegration: async (event) =>
      json(
        200,
        await viewOf(
          await connectIntegration({ ...ports, cipher: deps.cipher, auth: deps.auth }, param(event, "ws"), event.json),
        ),
      ),
    getIntegration: async (event) => {
      const integration = await getIntegration(ports, param(event, "ws"));
      // Reading a resource that does not exist is a 404 (the test route's 409 is STATUS_OF's not_connected).
      if (!integration) return errorResponse(404, "not_connected", "Slack is not connected for this workspace.");
      return json(200, await viewOf(integration));
    },
    deleteIntegration: async (event) => {
      await disconnectIntegration(ports, param(event, "ws"));
      return json(204);
    },
    testIntegration: async (event) => {
      const results = await sendTestMessage(
        { integrations: deps.store, notifications: deps.store, sleep: deps.sleep, now: Date.now },
        param(event, "ws"),
      );
      return json(200, { results });
    },
  };
}
