import {
  ChangeMessageVisibilityBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { ADMIN_TOKEN_OWNER } from "../functions/adapters/dynamo-store";
import { issueToken, type Scope } from "../functions/core/identity";
import type { NotificationStore, TokenStore, WorkspaceStore } from "../functions/core/ports";

/**
 * What an operator does to a running stage, on the same store code as the functions. The CLI (bin/cli.ts) wires it to
 * a deployed stage; tests wire it to the emulators.
 */

export async function createAdminToken(store: TokenStore, name: string) {
  const { token, record } = issueToken({ name, admin: true, scopes: [] });
  await store.putToken(record);
  return { id: record.id, name, token };
}

export const listAdminTokens = (store: TokenStore) => store.listTokens(ADMIN_TOKEN_OWNER);
export const revokeAdminToken = (store: TokenStore, id: string) => store.deleteToken(ADMIN_TOKEN_OWNER, id);

export async function createWorkspaceToken(
  store: WorkspaceStore & TokenStore,
  workspaceId: string,
  name: string,
  scopes: Scope[],
) {
  if (!(await store.getWorkspace(workspaceId))) throw new Error(`No workspace ${workspaceId}.`);
  const { token, record } = issueToken({ name, workspace_id: workspaceId, admin: false, scopes });
  await store.putToken(record);
  return { id: record.id, workspace_id: workspaceId, name, scopes, token };
}

export interface DeadLetter {
  messageId: string;
  receiptHandle: string;
  workspace_id?: string;
  notification_id?: string;
  channel?: string;
  error?: string;
  attempts?: number;
  failed_at?: string;
}

const parse = (m: Message): DeadLetter => {
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(m.Body ?? "{}") as Record<string, unknown>;
  } catch {
    // listed with its id only
  }
  return {
    ...(body as Partial<DeadLetter>),
    messageId: m.MessageId as string,
    receiptHandle: m.ReceiptHandle as string,
  };
};

/** Reads up to `max` dead letters without consuming them: each is made visible again right after it is read. */
export async function peekDeadLetters(sqs: SQSClient, queueUrl: string, max: number): Promise<DeadLetter[]> {
  const seen = new Map<string, DeadLetter>();
  for (let empty = 0; seen.size < max && empty < 2;) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, max - seen.size),
        VisibilityTimeout: 30,
        WaitTimeSeconds: 1,
      }),
    );
    const batch = out.Messages ?? [];
    if (!batch.length) {
      empty++;
      continue;
    }
    for (const m of batch) if (!seen.has(m.MessageId as string)) seen.set(m.MessageId as string, parse(m));
  }
  const all = [...seen.values()];
  for (let i = 0; i < all.length; i += 10) {
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: all
          .slice(i, i + 10)
          .map((d, j) => ({ Id: String(j), ReceiptHandle: d.receiptHandle, VisibilityTimeout: 0 })),
      }),
    );
  }
  return all;
}

export interface RedriveResult {
  requeued: string[];
  alreadyPending: string[];
  skipped: { id: string; reason: string }[];
  moveTaskHandle?: string;
}

/**
 * Puts every dead-lettered notification back to `pending` with a fresh attempt budget, then has SQS move the messages
 * back to the delivery queue (StartMessageMoveTask). The records go first, so a moved message always finds its
 * notification pending; delivered ones are skipped by the delivery function as usual.
 */
export async function redriveDeadLetters(opts: {
  store: NotificationStore;
  sqs: SQSClient;
  deadLetterQueueUrl: string;
  deadLetterQueueArn: string;
  deliveryQueueArn: string;
  max: number;
  /** The client that starts the move task; the SQS emulator has no StartMessageMoveTask, so tests pass a mock. */
  mover?: SQSClient;
}): Promise<RedriveResult> {
  const letters = await peekDeadLetters(opts.sqs, opts.deadLetterQueueUrl, opts.max);
  const result: RedriveResult = { requeued: [], alreadyPending: [], skipped: [] };
  for (const d of letters) {
    const id = d.notification_id;
    if (!d.workspace_id || !id) {
      result.skipped.push({ id: d.messageId, reason: "not a notification message" });
      continue;
    }
    const requeued = await opts.store.requeue(d.workspace_id, id, "redrive");
    if (requeued) {
      result.requeued.push(id);
      continue;
    }
    const current = await opts.store.getNotification(d.workspace_id, id);
    if (current?.status === "pending") result.alreadyPending.push(id);
    else result.skipped.push({ id, reason: current ? `already ${current.status}` : "notification expired or unknown" });
  }
  if (letters.length) {
    const task = await (opts.mover ?? opts.sqs).send(
      new StartMessageMoveTaskCommand({ SourceArn: opts.deadLetterQueueArn, DestinationArn: opts.deliveryQueueArn }),
    );
    result.moveTaskHandle = task.TaskHandle;
  }
  return result;
}
