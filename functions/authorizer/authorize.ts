import { hashToken } from "../core/identity";
import type { TokenRecord } from "../core/ports";

/** What API Gateway hands the API function in `requestContext.authorizer.lambda`: primitives only. */
export type AuthContext =
  | { kind: "admin"; token_id: string }
  | { kind: "workspace"; token_id: string; workspace_id: string; scopes: string }
  | { kind: "anonymous" };

/**
 * Resolves a bearer token by its hash. Unknown tokens resolve to `anonymous` rather than a deny, so the API answers
 * with the contract's 401 envelope instead of API Gateway's bare 403.
 */
export async function resolveToken(
  store: { getTokenByHash(hash: string): Promise<TokenRecord | undefined> },
  authorization: string | undefined,
): Promise<AuthContext> {
  const match = /^Bearer ([A-Za-z0-9_\-.~+/]{8,512}=*)$/i.exec(authorization?.trim() ?? "");
  if (!match?.[1]) return { kind: "anonymous" };
  const token = await store.getTokenByHash(hashToken(match[1]));
  if (!token) return { kind: "anonymous" };
  if (token.admin) return { kind: "admin", token_id: token.id };
  if (!token.workspace_id) return { kind: "anonymous" };
  return { kind: "workspace", token_id: token.id, workspace_id: token.workspace_id, scopes: token.scopes.join(" ") };
}
