import * as z from "zod";
import { issueToken, newId, SCOPES } from "../identity";
import type { WorkspaceStore } from "../ports";

export const createWorkspaceBody = z.object({ name: z.string().trim().min(1).max(100) });

/** A new workspace and its first token, which carries every workspace scope (shown once). */
export async function createWorkspace(
  deps: { workspaces: WorkspaceStore },
  input: z.output<typeof createWorkspaceBody>,
) {
  const workspaceId = newId("ws");
  const { token, record } = issueToken({
    name: "default",
    workspace_id: workspaceId,
    admin: false,
    scopes: [...SCOPES],
  });
  await deps.workspaces.createWorkspace(
    { workspace_id: workspaceId, name: input.name, created_at: record.created_at },
    record,
  );
  return { workspace_id: workspaceId, name: input.name, token };
}
