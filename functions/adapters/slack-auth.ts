import type { AuthTestResult, SlackAuth, SlackIdentity } from "../core/ports";

export interface SlackAuthOptions {
  /** Base URL of the Web API, ending in `/` (`https://slack.com/api/`). */
  apiUrl: string;
  timeoutMs: number;
  /** Told when Slack gave no usable answer (the reason only: never the token). */
  warn?: (message: string, fields: Record<string, unknown>) => void;
}

const isTimeout = (err: unknown) => err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
/** Slack's codes are short snake_case words; anything else is not repeated (it could be anything, even a token). */
const code = (v: unknown) => (typeof v === "string" && /^[a-z_]{1,64}$/.test(v) ? v : "invalid_response");
const text = (v: unknown, max = 200) => (typeof v === "string" ? v.slice(0, max) : "");
/** Errors that say Slack itself is in trouble, not the token: the connect may be tried again. */
const SLACK_TROUBLE = new Set([
  "ratelimited",
  "rate_limited",
  "internal_error",
  "fatal_error",
  "service_unavailable",
  "request_timeout",
]);

/**
 * Slack's auth.test with `fetch`: who a token is, and its scopes (the `x-oauth-scopes` header). Redirects are
 * refused (the token must go nowhere else), and no result or error carries the token or a URL.
 */
export class HttpSlackAuth implements SlackAuth {
  constructor(private readonly opts: SlackAuthOptions) {}

  async identify(token: string): Promise<AuthTestResult> {
    const result = await this.ask(token);
    if (result.status === "unavailable") this.opts.warn?.("slack preflight got no answer", { reason: result.reason });
    return result;
  }

  private async ask(token: string): Promise<AuthTestResult> {
    let response: Response;
    try {
      response = await fetch(`${this.opts.apiUrl}auth.test`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/x-www-form-urlencoded" },
        redirect: "error",
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
    } catch (err) {
      return { status: "unavailable", reason: isTimeout(err) ? "timeout" : "network_error" };
    }
    let body: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = await response.json();
      if (parsed && typeof parsed === "object") body = parsed as Record<string, unknown>;
    } catch {
      // not JSON: handled below by the status
    }
    if (response.status === 429) return { status: "unavailable", reason: "rate_limited" };
    if (response.status >= 500) return { status: "unavailable", reason: `http_${response.status}` };
    if (!body) return { status: "unavailable", reason: `http_${response.status}` };
    if (body.ok !== true) {
      const error = code(body.error);
      return SLACK_TROUBLE.has(error) ? { status: "unavailable", reason: error } : { status: "rejected", error };
    }
    const identity: SlackIdentity = {
      team: text(body.team),
      team_id: text(body.team_id, 40),
      user: text(body.user, 100),
      user_id: text(body.user_id, 40),
      url: text(body.url, 300),
    };
    const header = response.headers.get("x-oauth-scopes");
    const scopes =
      header === null
        ? undefined
        : header
            .split(",")
            .map((s) => s.trim())
            .filter((s) => /^[a-z:._-]{1,80}$/.test(s));
    return { status: "ok", identity, ...(scopes ? { scopes } : {}) };
  }
}
