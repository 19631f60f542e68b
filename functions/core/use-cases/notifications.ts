import * as z from "zod";
import { DomainError, notFound } from "../errors";
import { EVENT_TYPES } from "../events";
import type { IntegrationStore, NotificationStore } from "../ports";

export const listQuerySchema = z.object({
  status: z.enum(["pending", "delivered", "failed"]).optional(),
  type: z.enum([...EVENT_TYPES, "test"]).optional(),
  // Digits only, 1 to 100 (the pattern is the whole rule, and the OpenAPI document's): Number() would also take 1e1,
  // 0x10 and " 10".
  limit: z
    .string()
    .regex(/^(?:[1-9][0-9]?|100)$/, "a whole number from 1 to 100")
    .transform(Number)
    .default(50)
    .meta({ description: "How many notifications, 1 to 100 (default 50)" }),
  cursor: z.string().min(1).max(512).optional(),
});

interface NotificationDeps {
  notifications: NotificationStore;
}

export const listNotifications = (deps: NotificationDeps, workspaceId: string, q: z.output<typeof listQuerySchema>) =>
  deps.notifications.listNotifications(workspaceId, q);

export async function getNotification(deps: NotificationDeps, workspaceId: string, id: string) {
  const n = await deps.notifications.getNotification(workspaceId, id);
  if (!n) throw notFound("No such notification.");
  return n;
}

/**
 * A failed notification goes back to pending (the pipe queues it again) on the connection there is now: one that
 * failed with not_connected is delivered once Slack is connected again, as its hint says. Any other state is a
 * conflict, and so is a retry while nothing is connected (it could only fail the same way).
 */
export async function retryNotification(
  deps: NotificationDeps & { integrations: Pick<IntegrationStore, "getIntegration"> },
  workspaceId: string,
  id: string,
) {
  const n = await getNotification(deps, workspaceId, id);
  if (n.status !== "failed")
    throw new DomainError("invalid_state", `Only a failed notification can be retried; this one is ${n.status}.`);
  const integration = await deps.integrations.getIntegration(workspaceId);
  if (!integration) throw new DomainError("not_connected", "Slack is not connected: connect it, then retry.");
  const requeued = await deps.notifications.requeue(workspaceId, id, "api", integration.connection_id);
  if (requeued) return requeued;
  // Retried by someone else in the meantime.
  const now = await getNotification(deps, workspaceId, id);
  throw new DomainError("invalid_state", `Only a failed notification can be retried; this one is ${now.status}.`);
}
