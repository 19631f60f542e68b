import { createToken, createTokenBody, deleteToken, listTokens } from "../../core/use-cases/tokens";
import { parseOrThrow } from "../../core/validation";
import { json } from "../http";
import { tokenView } from "../views";
import { type ApiDeps, type Handlers, param, principal } from "./types";

export function tokenHandlers(deps: ApiDeps): Handlers<"createToken" | "listTokens" | "deleteToken"> {
  const ports = { workspaces: deps.store, tokens: deps.store };
  return {
    createToken: async (event) => {
      const input = parseOrThrow(createTokenBody, event.json);
      const { record, token } = await createToken(ports, principal(event), param(event, "ws"), input);
      return json(201, { id: record.id, name: record.name, scopes: record.scopes, token });
    },
    listTokens: async (event) => json(200, { items: (await listTokens(ports, param(event, "ws"))).map(tokenView) }),
    deleteToken: async (event) => {
      await deleteToken(ports, param(event, "ws"), param(event, "id"));
      return json(204);
    },
  };
}
