import { errorResponse } from "../http";
import type { ApiResult } from "../http";
import type { Handlers } from "./types";

/**
 * The console's page: no inline script or style, nothing from another origin, never framed. Every call it makes is
 * to this API, with the token the person signs in with.
 */
export const CONSOLE_HEADERS = {
  "content-security-policy": [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join("; "),
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
} as const;

export const IMMUTABLE = "public, max-age=31536000, immutable";

type Assets = Map<string, { contentType: string; body: string; immutable: boolean }>;
let assets: Promise<Assets> | undefined;

/**
 * Loaded on the first console request: the generated module (console/build.ts) is inlined in the API bundle, and
 * evaluating it only here keeps it off the other routes' cold starts.
 */
const load = () =>
  (assets ??= import("../console/assets.generated.js").then(
    (m) => new Map(m.default.map(({ path, ...rest }) => [path, rest])),
  ));

async function serve(path: string): Promise<ApiResult> {
  const files = await load();
  const file = files.get(path);
  if (!file) return errorResponse(404, "not_found", "No such file in the console.", { headers: CONSOLE_HEADERS });
  return {
    statusCode: 200,
    headers: {
      "content-type": file.contentType,
      "cache-control": file.immutable ? IMMUTABLE : "no-cache",
      ...CONSOLE_HEADERS,
    },
    body: file.body,
  };
}

export const consoleHandlers = (): Handlers<"console" | "consoleAsset"> => ({
  console: () => serve("/console/"),
  consoleAsset: (event) => {
    const rest = event.pathParameters?.proxy ?? "";
    return serve(rest === "" || rest === "index.html" ? "/console/" : `/console/${rest}`);
  },
});
