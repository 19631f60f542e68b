/** The console speaks only the public API (contract section 2), same origin, with the signed-in token. */

export type Method = "bot_token" | "user_token" | "webhook";
export type Operator = "In" | "NotIn" | "Exists" | "DoesNotExist";
export interface Condition {
  key: string;
  operator: Operator;
  values?: string[];
}
export interface Health {
  status: "ok" | "failing" | "unknown";
  last_delivered_at?: string | null;
  last_error?: string | null;
  last_error_at?: string | null;
  hint?: string | null;
}
export interface ChannelView {
  name: string;
  conditions: Condition[];
  mentions?: string[];
  mention_on?: string[];
  health?: Health;
}
export interface IntegrationView {
  workspace_id: string;
  connected: true;
  method: Method;
  credential_hint: string;
  slack?: { team: string; team_id: string; user: string; user_id: string; url: string } | null;
  channels: ChannelView[];
  threads?: boolean;
  enabled: boolean;
  conditions: Condition[];
  created_at: string;
  updated_at: string;
}
export interface Me {
  admin: boolean;
  workspace_id: string | null;
  token_id: string;
  scopes: string[];
}
export type Status = "pending" | "delivered" | "failed";
export interface NotificationView {
  id: string;
  event_id: string;
  type: string;
  channel: string;
  status: Status;
  attempts: number;
  error?: string;
  /** A delivered notification whose upgrade status message could not be updated. */
  thread_error?: string;
  hint?: string;
  uncertain?: true;
  created_at: string;
  updated_at: string;
  delivered_at?: string;
}
export interface TestResult {
  channel: string;
  /** pending: still queued behind the channel's earlier posts when the API answered. */
  status: "delivered" | "failed" | "pending";
  error?: string;
  hint?: string;
  notification_id: string;
}
export interface PreviewMessage {
  channel: string;
  payload: Record<string, unknown>;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: { path: string; message: string }[] = [],
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** The details a refusal's message does not already say (a validation_error's message quotes the first one). */
export const otherDetails = (err: ApiError) =>
  err.details.filter((d) => !err.message.includes(`${d.path}: ${d.message}`));

export interface Api {
  call<T>(method: string, path: string, body?: unknown): Promise<T>;
}

/** The API with this token; `onUnauthorized` is told of every 401 (the token unknown, revoked or expired). */
export function apiWith(token: string, onUnauthorized?: () => void): Api {
  return {
    async call<T>(method: string, path: string, body?: unknown): Promise<T> {
      let res: Response;
      try {
        res = await fetch(path, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { "content-type": "application/json" }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          cache: "no-store",
        });
      } catch {
        throw new ApiError(0, "network_error", "Could not reach the API. Check that the service is running.");
      }
      const raw = await res.text();
      let parsed: unknown;
      try {
        parsed = raw ? JSON.parse(raw) : undefined;
      } catch {
        parsed = undefined;
      }
      if (res.ok) return parsed as T;
      const err = (parsed as { error?: { code?: string; message?: string; details?: ApiError["details"] } })?.error;
      // API Gateway (and the local server) answer a refused token with a bare 401/403 and no error envelope.
      const refused =
        !err && (res.status === 401 || res.status === 403)
          ? new ApiError(401, "unauthorized", "This token is not valid: it is unknown or has been revoked.")
          : new ApiError(
              res.status,
              err?.code ?? `http_${res.status}`,
              err?.message ?? `The API answered ${res.status}.`,
              err?.details ?? [],
            );
      if (refused.status === 401) onUnauthorized?.();
      throw refused;
    },
  };
}

export const METHOD_LABEL: Record<Method, string> = {
  bot_token: "Bot token",
  webhook: "Webhook URL",
  user_token: "User token",
};

export const OPERATOR_LABEL: Record<Operator, string> = {
  In: "Includes values",
  NotIn: "Does not include values",
  Exists: "Exists",
  DoesNotExist: "Does not exist",
};

export const SEVERITIES = ["critical", "high", "medium", "low", "info"] as const;
