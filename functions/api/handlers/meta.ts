import { json } from "../http";
import type { Handlers } from "./types";

export const metaHandlers = (): Handlers<"health" | "openapi"> => ({
  health: async () => json(200, { status: "ok" }),
  // Built on first use: the generator is needed by this route only, so other cold starts do not load it.
  openapi: async () => {
    const { openApiDocument } = await import("../openapi");
    return json(200, openApiDocument(), { "cache-control": "public, max-age=300" });
  },
});
