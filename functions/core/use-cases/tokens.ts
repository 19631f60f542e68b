import * as z from "zod";
import { DomainError, notFound } from "../errors";
import { issueToken, type Principal, SCOPES } from "../identity";
import type { TokenStore, WorkspaceStore } from "../ports";

// Here rather than in identity.ts, which the authorizer and the delivery function import: a schema at a module's top
// level keeps zod in every bundle that imports the module, whether or not the schema is used.
const tokenNameSchema = z.string().trim().min(1).max(100);
const scopesSchema = z
  .array(z.enum(SCOPES))
  .min(1)
  .refine((s) => new Set(s).size === s.length, "scopes must not repeat")
  .meta({ uniqueItems: true });

export const createTokenBody = z.object({ name: tokenNameSchema, scopes: scopesSchema });

interface TokenDeps {
  workspaces: WorkspaceStore;
  tokens: TokenStore;
}

async function mustHaveWorkspace(deps: TokenDeps, workspaceId: string) {
  if (!(await deps.workspaces.getWorkspace(workspaceId))) throw notFound();
}

/** A token may only grant scopes its creator has (the admin token may grant any). The secret is returned once. */
export async function createToken(
  deps: TokenDeps,
  caller: Principal,
  workspaceId: string,
  input: z.output<typeof createTokenBody>,
) {
  await mustHaveWorkspace(deps, workspaceId);
  if (caller.kind === "workspace") {
    const missing = input.scopes.filter((s) => !caller.scopes.includes(s));
    if (missing.length)
      throw new DomainError("forbidden", `A token cannot grant scopes it lacks: ${missing.join(", ")}.`);
  }
  const { token, record } = issueToken({
    name: input.name,
    workspace_id: workspaceId,
    admin: false,
    scopes: input.scopes,
  });
  await deps.tokens.putToken(record);
  return { record, token };
}

/** Oldest first. */
export async function listTokens(deps: TokenDeps, workspaceId: string) {
  await mustHaveWorkspace(deps, workspaceId);
  return (await deps.tokens.listTokens(workspaceId)).sort((a, b) => a.created_at.localeCompare(b.created_at));
}

export async function deleteToken(deps: TokenDeps, workspaceId: string, tokenId: string) {
  await mustHaveWorkspace(deps, workspaceId);
  if (!(await deps.tokens.deleteToken(workspaceId, tokenId))) throw notFound("No such token.");
}
