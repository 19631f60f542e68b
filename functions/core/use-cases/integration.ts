import { newNotification } from "../delivery";
import { DomainError } from "../errors";
import { hintFor } from "../hints";
import { newId } from "../identity";
import { credentialHint, planIntegrationUpdate } from "../integration";
import { API } from "../operational";
import type {
  CredentialCipher,
  IntegrationRecord,
  IntegrationStore,
  NotificationRecord,
  NotificationStore,
  SlackAuth,
  SlackIdentity,
} from "../ports";
import type { Method } from "../settings";

/** The scope a token needs to post; `chat:write:bot`/`chat:write:user` are its forms in apps made before 2020. */
const POSTING_SCOPES = ["chat:write", "chat:write:bot", "chat:write:user"];
const METHOD_NAME: Record<Method, string> = { bot_token: "bot token", user_token: "user token", webhook: "webhook" };

/**
 * The preflight: asks Slack who the token is before anything is stored (contract section 2). Refused, lacking
 * chat:write or unanswered, the connect fails and nothing changes. Messages name Slack's code, never the token.
 */
async function preflight(auth: SlackAuth, method: Method, token: string): Promise<SlackIdentity> {
  const answer = await auth.identify(token);
  const what = METHOD_NAME[method];
  if (answer.status === "rejected") {
    throw new DomainError(
      "credential_rejected",
      `Slack rejected the ${what} (auth.test: ${answer.error}); nothing was stored. Copy a current token from the app's OAuth & Permissions page.`,
    );
  }
  if (answer.status === "unavailable") {
    throw new DomainError(
      "slack_unavailable",
      `Slack could not be asked about the ${what} (${answer.reason}); nothing was stored. Try again in a moment.`,
    );
  }
  if (answer.scopes && !answer.scopes.some((s) => POSTING_SCOPES.includes(s))) {
    const listed = answer.scopes.slice(0, 20).join(", ") + (answer.scopes.length > 20 ? ", …" : "");
    const has = answer.scopes.length ? listed : "none";
    throw new DomainError(
      "missing_scope",
      `The ${what} lacks the chat:write scope (it has: ${has}); add chat:write to the app, reinstall it and connect with the new token. Nothing was stored.`,
    );
  }
  return answer.identity;
}

/**
 * Connects Slack or updates the settings: a first connect needs exactly one credential, a later PUT changes only
 * what it carries. The body is validated first; a new token is then checked with Slack (the preflight), and sealed
 * (envelope encryption) before anything is stored.
 */
export async function connectIntegration(
  deps: { integrations: IntegrationStore; cipher: CredentialCipher; auth: SlackAuth },
  workspaceId: string,
  body: unknown,
): Promise<IntegrationRecord> {
  const stored = await deps.integrations.getIntegration(workspaceId);
  const plan = planIntegrationUpdate(body, stored);
  // Webhooks are not preflighted: only a post can check one (the test message). A PUT without a credential keeps
  // the identity found when its credential was stored.
  let slack = stored?.slack ?? null;
  if (plan.credential) {
    slack =
      plan.credential.method === "webhook"
        ? null
        : await preflight(deps.auth, plan.credential.method, plan.credential.secret);
  }
  const now = new Date().toISOString();
  // Known before sealing: the credential is bound to its workspace, method and connection.
  const connectionId = stored?.connection_id ?? newId("conn");
  let credential = stored?.credential;
  let hint = stored?.credential_hint;
  if (plan.credential) {
    const plain = Buffer.from(plan.credential.secret, "utf8");
    try {
      credential = await deps.cipher.seal(plain, {
        workspace_id: workspaceId,
        method: plan.credential.method,
        connection_id: connectionId,
      });
    } finally {
      plain.fill(0);
    }
    hint = credentialHint(plan.credential.secret);
  } else if (stored && stored.credential.v === 1) {
    // Sealed before the binding covered method and connection: re-sealed (format 2) on this update.
    const binding = { workspace_id: workspaceId, method: stored.method, connection_id: connectionId };
    const plain = await deps.cipher.open(stored.credential, binding);
    try {
      credential = await deps.cipher.seal(plain, binding);
    } finally {
      plain.fill(0);
    }
  }
  if (!credential || hint === undefined) throw new Error("unreachable: planIntegrationUpdate requires a credential");
  const record: IntegrationRecord = {
    workspace_id: workspaceId,
    ...plan.settings,
    credential,
    credential_hint: hint,
    slack,
    connection_id: connectionId,
    created_at: stored?.created_at ?? now,
    updated_at: now,
  };
  await deps.integrations.putIntegration(record);
  return record;
}

const notConnected = () => new DomainError("not_connected", "Slack is not connected for this workspace.");

/** The integration, or undefined when Slack is not connected. */
export const getIntegration = (deps: { integrations: IntegrationStore }, workspaceId: string) =>
  deps.integrations.getIntegration(workspaceId);

/** Erases the integration and its credential; pending notifications then fail as not_connected. */
export async function disconnectIntegration(deps: { integrations: IntegrationStore }, workspaceId: string) {
  await deps.integrations.deleteIntegration(workspaceId);
}

export interface TestResult {
  channel: string;
  /** `pending`: still queued (behind the channel's earlier posts, or retrying) when the API had to answer. */
  status: "delivered" | "failed" | "pending";
  error?: string;
  /** What to do about the error (hints.ts), or where a pending result's outcome will show. */
  hint?: string;
  notification_id: string;
}

export interface TestMessageDeps {
  integrations: IntegrationStore;
  notifications: Pick<NotificationStore, "acceptNotifications" | "getNotifications">;
  sleep(ms: number): Promise<void>;
  now(): number;
}

const PENDING_HINT =
  "Still queued behind earlier posts to this channel, or Slack is slow to answer: its outcome will be in the notification log.";

/**
 * Sends the test message to every channel the way every notification goes (contract section 4): a pending test
 * notification per channel, delivered through the queue in the channel's order and pace, with the same retries. The
 * API waits for their outcomes up to `API.testWaitMs` (polling the records), so on an idle channel it answers as the
 * post is made; a channel still busy then answers `pending`.
 */
export async function sendTestMessage(deps: TestMessageDeps, workspaceId: string): Promise<TestResult[]> {
  const integration = await deps.integrations.getIntegration(workspaceId);
  if (!integration) throw notConnected();
  const records = integration.channels.map((c) =>
    newNotification({
      workspace_id: workspaceId,
      event_id: "test",
      type: "test",
      channel: c.name,
      connection_id: integration.connection_id,
    }),
  );
  await deps.notifications.acceptNotifications(records);
  const ids = records.map((r) => r.id);
  const until = deps.now() + API.testWaitMs;
  let found = new Map<string, NotificationRecord>();
  for (let round = 0; ; round++) {
    found = await deps.notifications.getNotifications(workspaceId, ids);
    const open = ids.some((id) => (found.get(id)?.status ?? "pending") === "pending");
    if (!open || deps.now() >= until) break;
    await deps.sleep(Math.min(API.testPollMaxMs, 50 * 2 ** round, Math.max(0, until - deps.now())));
  }
  return records.map((r): TestResult => {
    const n = found.get(r.id) ?? r;
    const status = n.status === "delivered" || n.status === "failed" ? n.status : "pending";
    const hint = status === "pending" ? PENDING_HINT : n.error && hintFor(n.error, { user: integration.slack?.user });
    return {
      channel: r.channel,
      status,
      ...(status === "failed" && n.error ? { error: n.error } : {}),
      ...(hint && status !== "delivered" ? { hint } : {}),
      notification_id: r.id,
    };
  });
}
