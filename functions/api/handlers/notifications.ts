import {
  getNotification,
  listNotifications,
  listQuerySchema,
  retryNotification,
} from "../../core/use-cases/notifications";
import { parseOrThrow } from "../../core/validation";
import { json } from "../http";
import { notificationView } from "../views";
import { type ApiDeps, type Handlers, param } from "./types";

export function notificationHandlers(
  deps: ApiDeps,
): Handlers<"listNotifications" | "getNotification" | "retryNotification"> {
  const ports = { notifications: deps.store };
  return {
    listNotifications: async (event) => {
      const q = parseOrThrow(listQuerySchema, event.queryStringParameters ?? {}, "query");
      const page = await listNotifications(ports, param(event, "ws"), q);
      return json(200, { items: page.items.map(notificationView), next_cursor: page.next_cursor });
    },
    getNotification: async (event) =>
      json(200, notificationView(await getNotification(ports, param(event, "ws"), param(event, "id")))),
    retryNotification: async (event) =>
      json(202, notificationView(await retryNotification(ports, param(event, "ws"), param(event, "id")))),
  };
}
