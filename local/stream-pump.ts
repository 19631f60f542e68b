import { type AttributeValue, type DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from "@aws-sdk/client-dynamodb-streams";
import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { matchesPattern, PIPE_FILTERS, PIPE_TARGET, readPath, renderTemplate } from "../lib/pipe-definition";
import { type LocalAwsCredentials, readJsonFile, writeFileAtomic } from "./data-dir";
import { emulatorClientConfig } from "./emulators";

export interface StreamPumpOptions {
  dynamodbEndpoint: string;
  credentials: LocalAwsCredentials;
  streamArn: string;
  sqs: SQSClient;
  queueUrl: string;
  /** Where the position in each shard is kept between runs; without one, every start reads the stream from its start. */
  checkpointFile?: string;
  onError(err: unknown): void;
  log(line: string): void;
  idleMs?: number;
}

/** The pipe's filter applied to stream records: what the pipe would send on. */
const piped = (records: _Record[]) => records.filter((r) => PIPE_FILTERS.some((f) => matchesPattern(f, r)));

/** The pipe's target mapping applied to records, sent in order; how many went to the queue. */
async function forward(sqs: SQSClient, queueUrl: string, records: _Record[]): Promise<number> {
  const entries = records.map((r, i) => ({
    Id: String(i),
    MessageBody: renderTemplate(PIPE_TARGET.inputTemplate, r),
    MessageGroupId: String(readPath(r, PIPE_TARGET.messageGroupIdPath)),
    MessageDeduplicationId: String(readPath(r, PIPE_TARGET.messageDeduplicationIdPath)),
  }));
  for (let i = 0; i < entries.length; i += 10) {
    const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries.slice(i, i + 10) }));
    if (out.Failed?.length) throw new Error(`SQS refused ${out.Failed.length} messages: ${out.Failed[0]?.Code}`);
  }
  return entries.length;
}

/**
 * The local queue lives in memory and starts empty, so what it held when the last run ended (queued, requeued for
 * later, mid-retry) is gone, and the stream checkpoint is past it. The table says what that was: every notification
 * still pending, and every delivered one whose thread's status message update is still to make. They are queued
 * again, in the order they were accepted, as the pipe would have queued their inserts (same group and deduplication
 * id, so the pump forwarding one again is dropped by the queue).
 */
export async function requeuePending(opts: {
  dynamodb: DynamoDBClient;
  tableName: string;
  sqs: SQSClient;
  queueUrl: string;
}): Promise<number> {
  const pending: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await opts.dynamodb.send(
      new ScanCommand({
        TableName: opts.tableName,
        // Pending, or delivered with its thread's status message update still to make (it was waiting in the queue).
        FilterExpression: "#kind = :notification AND (#status = :pending OR thread_update = :pending)",
        ExpressionAttributeNames: { "#kind": "kind", "#status": "status" },
        ExpressionAttributeValues: { ":notification": { S: "notification" }, ":pending": { S: "pending" } },
        ExclusiveStartKey: start,
      }),
    );
    pending.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  // Notification ids sort in the order they were created.
  pending.sort((a, b) => (a.id?.S ?? "").localeCompare(b.id?.S ?? ""));
  const records = pending.map((item) => ({ eventName: "INSERT", dynamodb: { NewImage: item } }) as _Record);
  return forward(opts.sqs, opts.queueUrl, records);
}

/** Per shard: the sequence number of the last record handled, or that the shard is closed and read to its end. */
type ShardPosition = { after?: string; finished?: true };
interface Checkpoint {
  streamArn: string;
  shards: Record<string, ShardPosition>;
}

function loadCheckpoint(file: string | undefined, streamArn: string, log: (line: string) => void) {
  const saved = file === undefined ? undefined : (readJsonFile(file) as Partial<Checkpoint> | undefined);
  if (!saved) return new Map<string, ShardPosition>();
  if (saved.streamArn !== streamArn || typeof saved.shards !== "object" || saved.shards === null) {
    log("stream pump: the table's stream is not the one checkpointed (table recreated?); reading it from its start");
    return new Map<string, ShardPosition>();
  }
  const valid = (p: unknown): p is ShardPosition =>
    typeof p === "object" &&
    p !== null &&
    ["string", "undefined"].includes(typeof (p as ShardPosition).after) &&
    [true, undefined].includes((p as ShardPosition).finished);
  return new Map(Object.entries(saved.shards).filter((entry): entry is [string, ShardPosition] => valid(entry[1])));
}

const errorName = (err: unknown) => (err instanceof Error ? err.name : String(err));
const isTrimmed = (err: unknown) => errorName(err) === "TrimmedDataAccessException";

/**
 * Plays the EventBridge Pipe locally: reads the table's stream, applies the pipe's filters and target mapping, and
 * keeps its position per shard in `checkpointFile` (written after each batch is forwarded: a crash in between
 * forwards that batch again, which the queue deduplicates and delivery ignores), so a restart resumes there.
 */
export function startStreamPump(opts: StreamPumpOptions): { stop(): Promise<void> } {
  const streams = new DynamoDBStreamsClient(emulatorClientConfig(opts.dynamodbEndpoint, opts.credentials));
  const idleMs = opts.idleMs ?? 100;
  let running = true;
  const positions = loadCheckpoint(opts.checkpointFile, opts.streamArn, opts.log);
  const iterators = new Map<string, string>();
  const finished = (id: string) => positions.get(id)?.finished === true;

  const save = () => {
    if (opts.checkpointFile === undefined) return;
    const checkpoint: Checkpoint = { streamArn: opts.streamArn, shards: Object.fromEntries(positions) };
    writeFileAtomic(opts.checkpointFile, JSON.stringify(checkpoint));
  };

  const iteratorFor = async (id: string) => {
    const base = { StreamArn: opts.streamArn, ShardId: id };
    const after = positions.get(id)?.after;
    if (after !== undefined) {
      try {
        const it = await streams.send(
          new GetShardIteratorCommand({ ...base, ShardIteratorType: "AFTER_SEQUENCE_NUMBER", SequenceNumber: after }),
        );
        return it.ShardIterator;
      } catch (err) {
        // Trimmed past the checkpoint (older than the stream keeps), or a position this shard refuses: read what it
        // has. Nothing is lost (pending notifications were requeued from the table); the rest are no-ops. If the
        // stream is unreachable altogether, the call below fails too and the checkpoint is tried again.
        const why = isTrimmed(err) ? "was trimmed past the checkpoint" : `refused the checkpoint (${errorName(err)})`;
        opts.log(`stream pump: shard ${id} ${why}; reading it from its oldest record`);
      }
    }
    return (await streams.send(new GetShardIteratorCommand({ ...base, ShardIteratorType: "TRIM_HORIZON" })))
      .ShardIterator;
  };

  const discover = async () => {
    const out = await streams.send(new DescribeStreamCommand({ StreamArn: opts.streamArn }));
    const shards = out.StreamDescription?.Shards ?? [];
    // Shards the stream no longer has were trimmed away: nothing left to read or remember.
    const live = new Set(shards.map((s) => s.ShardId as string));
    for (const id of positions.keys()) if (!live.has(id)) positions.delete(id);
    for (const shard of shards) {
      const id = shard.ShardId as string;
      if (finished(id) || iterators.has(id)) continue;
      // A child shard is read only after its parent, as the pipe does, so order per item holds.
      if (shard.ParentShardId && !finished(shard.ParentShardId) && iterators.has(shard.ParentShardId)) continue;
      const iterator = await iteratorFor(id);
      if (iterator) iterators.set(id, iterator);
    }
  };

  const loop = async () => {
    let lastDiscover = 0;
    while (running) {
      try {
        if (Date.now() - lastDiscover > 1000 || iterators.size === 0) {
          await discover();
          lastDiscover = Date.now();
        }
        let moved = false;
        for (const [shard, iterator] of iterators) {
          const out = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
          const records = out.Records ?? [];
          let advanced = false;
          // Forward before advancing: a failed send is retried from the same place, so nothing is lost.
          if (records.length) {
            await forward(opts.sqs, opts.queueUrl, piped(records));
            positions.set(shard, { after: records[records.length - 1]?.dynamodb?.SequenceNumber as string });
            advanced = true;
          }
          if (out.NextShardIterator) iterators.set(shard, out.NextShardIterator);
          else {
            // Closed and read to its end.
            iterators.delete(shard);
            positions.set(shard, { ...positions.get(shard), finished: true });
            advanced = true;
          }
          if (advanced) {
            save();
            moved = true;
          }
        }
        if (!moved) await new Promise((r) => setTimeout(r, idleMs));
      } catch (err) {
        if (!running) break;
        opts.onError(err);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  };
  const done = loop();
  return {
    stop: async () => {
      running = false;
      await done;
      streams.destroy();
    },
  };
}
