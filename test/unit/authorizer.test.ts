import { describe, expect, it } from "vitest";
import { resolveToken } from "../../functions/authorizer/authorize";
import { hashToken } from "../../functions/core/identity";
import type { TokenRecord } from "../../functions/core/ports";

const tokens = new Map<string, TokenRecord>([
  [
    hashToken("mdl_workspace-token-1"),
    {
      id: "tok_w",
      name: "w",
      hash: "",
      workspace_id: "ws_1",
      admin: false,
      scopes: ["events:write", "notifications:read"],
      created_at: "t",
    },
  ],
  [hashToken("mdl_admin-token-1"), { id: "tok_a", name: "a", hash: "", admin: true, scopes: [], created_at: "t" }],
]);
const store = { getTokenByHash: async (hash: string) => tokens.get(hash) };

describe("token authorizer", () => {
  it("resolves workspace and admin tokens by their hash, scopes as one string", async () => {
    expect(await resolveToken(store, "Bearer mdl_workspace-token-1")).toEqual({
      kind: "workspace",
      token_id: "tok_w",
      workspace_id: "ws_1",
      scopes: "events:write notifications:read",
    });
    expect(await resolveToken(store, "bearer mdl_admin-token-1")).toEqual({ kind: "admin", token_id: "tok_a" });
  });

  it("anything else is anonymous, so the API answers 401 with its own envelope", async () => {
    for (const header of [
      undefined,
      "",
      "Bearer",
      "Basic abc",
      "Bearer mdl_unknown-token",
      "Bearer a b",
      `Bearer ${"x".repeat(600)}`,
    ]) {
      expect(await resolveToken(store, header)).toEqual({ kind: "anonymous" });
    }
  });
});
