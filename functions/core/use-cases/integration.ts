import { renderTest, type SlackMessage } from "../block-kit";
import { type AttemptOutcome, newNotification, runAttempts, withCredential } from "../delivery";
import { CredentialUnreadableError, DomainError } from "../errors";
import { hintFor } from "../hints";
import { newId } from "../identity";
import { credentialHint, planIntegrationUpdate } from "../integration";
import { API, MAX_ATTEMPTS } from "../operational";
import type {
  ChannelHealthStore,
  CredentialCipher,
  IntegrationRecord,
  IntegrationStore,
  NotificationStore,
  Posted,
  SlackAuth,
  SlackIdentity,
  SlackSender,
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
  status: "delivered" | "failed";
  error?: string;
  /** What to do about the error (hints.ts). */
  hint?: string;
  notification_id: string;
}

export interface TestMessageDeps {
  integrations: IntegrationStore;
  notifications: NotificationStore;
  health: Pick<ChannelHealthStore, "recordHealth">;
  cipher: CredentialCipher;
  sender: SlackSender;
  sleep(ms: number): Promise<void>;
  dashboardUrl: string;
}

/**
 * Sends the test message to every channel at once, synchronously, with the retry policy inside the API's time:
 * retries wait at most `API.testWaitBudgetMs` in all and each post times out after `API.testPostTimeoutMs`. Each
 * result is recorded in the notification log in its final state (so the pipe never queues it).
 */
export async function sendTestMessage(deps: TestMessageDeps, workspaceId: string): Promise<TestResult[]> {
  const integration = await deps.integrations.getIntegration(workspaceId);
  if (!integration) throw notConnected();
  /** Every channel at once; `post` is absent when the credential cannot be opened (each result says so). */
  const testAll = (post?: (channel: string, message: SlackMessage) => Promise<Posted>) =>
    Promise.all(
      integration.channels.map(async ({ name: channel }): Promise<TestResult> => {
        const record = newNotification({
          workspace_id: workspaceId,
          event_id: "test",
          type: "test",
          channel,
          connection_id: integration.connection_id,
        });
        const message = renderTest({ workspaceId, channel, dashboardUrl: deps.dashboardUrl, at: record.created_at });
        let attempt = 0;
        let waited = 0;
        let posted: Posted = {};
        const outcome: AttemptOutcome = post
          ? await runAttempts({
              begin: async () => (attempt < MAX_ATTEMPTS ? ++attempt : { stop: "attempts_exhausted" }),
              post: async () => {
                posted = await post(channel, message);
              },
              sleep: async (ms) => {
                waited += ms;
                await deps.sleep(ms);
              },
              waitBudgetMs: () => API.testWaitBudgetMs - waited,
            })
          : { status: "failed", error: "credential_unreadable", attempts: 0, exhausted: false };
        const now = new Date().toISOString();
        const error = outcome.status === "delivered" ? undefined : outcome.error;
        await deps.notifications.putNotification({
          ...record,
          status: error ? "failed" : "delivered",
          attempts: attempt,
          // Slack's ts, as for any delivered notification (tokens only: a webhook answers none).
          ...(error ? { error } : { delivered_at: now, ...(posted.ts ? { slack_ts: posted.ts } : {}) }),
          updated_at: now,
        });
        // The test message is the channel's latest finished notification too: its health follows.
        const connection_id = integration.connection_id;
        await deps.health.recordHealth(
          workspaceId,
          channel,
          error ? { status: "failed", error, at: now, connection_id } : { status: "delivered", at: now, connection_id },
        );
        const hint = error && hintFor(error, { user: integration.slack?.user });
        return {
          channel,
          status: error ? "failed" : "delivered",
          ...(error ? { error } : {}),
          ...(hint ? { hint } : {}),
          notification_id: record.id,
        };
      }),
    );
  try {
    return await withCredential(deps.cipher, workspaceId, integration, (secret) =>
      testAll((channel, message) =>
        deps.sender.post({ method: integration.method, secret, channel }, message, {
          timeoutMs: API.testPostTimeoutMs,
        }),
      ),
    );
  } catch (err) {
    if (err instanceof CredentialUnreadableError) return testAll();
    throw err;
  }
}
