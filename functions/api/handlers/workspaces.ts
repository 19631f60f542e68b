import { createWorkspace, createWorkspaceBody } from "../../core/use-cases/workspaces";
import { parseOrThrow } from "../../core/validation";
import { json } from "../http";
import type { ApiDeps, Handlers } from "./types";

export const workspaceHandlers = (deps: ApiDeps): Handlers<"createWorkspace"> => ({
  createWorkspace: async (event) => {
    const input = parseOrThrow(createWorkspaceBody, event.json);
    return json(201, await createWorkspace({ workspaces: deps.store }, input));
  },
});
