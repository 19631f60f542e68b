import {
  getNotification,
  listNotifications,
  listQuerySchema,
  retryNotification,
} from "../../core/use-cases/notifications";
import { parseOrThrow } from "../../core/validation";
import { json } from "../http";
import type { NotificationRecord } from "../../core/ports";
import { notificationView, problemOf } from "../views";
import { type ApiDeps, type Handlers, param } from "./types";

export function notificationHandlers(
  deps: ApiDeps,
): Handlers<"listNotifications" | "getNotification" | "retryNotification"> {
  const ports = { notifications: deps.store, integrations: deps.store };
  /** The views, with the app's Slack user read only when a hint names it (not_in_channel: `/invite @user`). */
  const views = async (ws: string, items: NotificationRecord[]) => {
    const named = items.some((n) => problemOf(n) === "not_in_channel");
    const user = named ? (await deps.store.getIntegration(ws))?.slack?.user : undefined;
    return items.map((n) => notificationView(n, user));
  };
  return {
    listNotifications: async (event) => {
      const q = parseOrThrow(listQuerySchema, event.queryStringParameters ?? {}, "query");
      const page = await listNotifications(ports, param(event, "ws"), q);
      return json(200, { items: await views(param(event, "ws"), page.items), next_cursor: page.next_cursor });
    },
    getNotification: async (event) => {
      const n = await getNotification(ports, param(event, "ws"), param(event, "id"));
      return json(200, (await views(param(event, "ws"), [n]))[0]);
    },
    retryNotification: async (event) =>
      json(202, notificationView(await retryNotification(ports, param(event, "ws"), param(event, "id")))),
  };
}
