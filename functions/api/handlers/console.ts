import { gzipSync } from "node:zlib";
import { type ApiEvent, type ApiResult, errorResponse } from "../http";
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

type Assets = Map<string, { contentType: string; body: string; immutable: boolean; gzipped?: string }>;
let assets: Promise<Assets> | undefined;

/**
 * Loaded on the first console request: the generated module (console/build.ts) is inlined in the API bundle, and
 * evaluating it only here keeps it off the other routes' cold starts.
 */
const load = () =>
  (assets ??= import("../console/assets.generated.js").then(
    (m): Assets => new Map(m.default.map(({ path, ...rest }) => [path, { ...rest }])),
  ));

/** API Gateway's HTTP API compresses nothing itself: the script and style sheet go out gzipped when the browser can take it. */
const acceptsGzip = (event: ApiEvent) => /\bgzip\b/i.test(event.headers?.["accept-encoding"] ?? "");

async function serve(event: ApiEvent, path: string): Promise<ApiResult> {
  const files = await load();
  const file = files.get(path);
  if (!file) return errorResponse(404, "not_found", "No such file in the console.", { headers: CONSOLE_HEADERS });
  const headers = {
    "content-type": file.contentType,
    "cache-control": file.immutable ? IMMUTABLE : "no-cache",
    vary: "accept-encoding",
    ...CONSOLE_HEADERS,
  };
  if (file.body.length > 1024 && acceptsGzip(event)) {
    // Compressed once per file and instance, on first request.
    file.gzipped ??= gzipSync(file.body, { level: 9 }).toString("base64");
    return {
      statusCode: 200,
      headers: { ...headers, "content-encoding": "gzip" },
      body: file.gzipped,
      isBase64Encoded: true,
    };
  }
  return { statusCode: 200, headers, body: file.body };
}

export const consoleHandlers = (): Handlers<"console" | "consoleAsset"> => ({
  console: (event) => serve(event, "/console/"),
  consoleAsset: (event) => {
    const rest = event.pathParameters?.proxy ?? "";
    return serve(event, rest === "" || rest === "index.html" ? "/console/" : `/console/${rest}`);
  },
});
