import * as z from "zod";
import { DomainError, notFound } from "../errors";
import { EVENT_TYPES } from "../events";
import type { NotificationStore } from "../ports";

export const listQuerySchema = z.object({
  status: z.enum(["pending", "delivered", "failed"]).optional(),
  type: z.enum([...EVENT_TYPES, "test"]).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
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

/** A failed notification goes back to pending (the pipe queues it again); any other state is a conflict. */
export async function retryNotification(deps: NotificationDeps, workspaceId: string, id: string) {
  const requeued = await deps.notifications.requeue(workspaceId, id);
  if (requeued) return requeued;
  const n = await getNotification(deps, workspaceId, id);
  throw new DomainError("invalid_state", `Only a failed notification can be retried; this one is ${n.status}.`);
}
