import { json } from "../http";
import { meView } from "../views";
import { type Handlers, principal } from "./types";

export const metaHandlers = (): Handlers<"health" | "openapi" | "me"> => ({
  health: async () => json(200, { status: "ok" }),
  me: async (event) => {
    const who = principal(event);
    if (who.kind === "anonymous") throw new Error("unreachable: the route is authorized");
    return json(200, meView(who));
  },
  // Built on first use: the generator is needed by this route only, so other cold starts do not load it.
  openapi: async () => {
    const { openApiDocument } = await import("../openapi");
    return json(200, openApiDocument(), { "cache-control": "public, max-age=300" });
  },
});
