import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from "@aws-sdk/client-dynamodb-streams";
import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { matchesPattern, PIPE_FILTERS, PIPE_TARGET, readPath, renderTemplate } from "../lib/pipe-definition";
import type { LocalAwsCredentials } from "./data-dir";
import { emulatorClientConfig } from "./emulators";

export interface StreamPumpOptions {
  dynamodbEndpoint: string;
  credentials: LocalAwsCredentials;
  streamArn: string;
  sqs: SQSClient;
  queueUrl: string;
  onError(err: unknown): void;
  idleMs?: number;
}

/** Plays the EventBridge Pipe locally: reads the table's stream, applies the pipe's filters and target mapping. */
export function startStreamPump(opts: StreamPumpOptions): { stop(): Promise<void> } {
  const streams = new DynamoDBStreamsClient(emulatorClientConfig(opts.dynamodbEndpoint, opts.credentials));
  const idleMs = opts.idleMs ?? 100;
  let running = true;
  const finished = new Set<string>();
  const iterators = new Map<string, string>();

  const discover = async () => {
    const out = await streams.send(new DescribeStreamCommand({ StreamArn: opts.streamArn }));
    for (const shard of out.StreamDescription?.Shards ?? []) {
      const id = shard.ShardId as string;
      if (finished.has(id) || iterators.has(id)) continue;
      // A child shard is read only after its parent, as the pipe does, so order per item holds.
      if (shard.ParentShardId && !finished.has(shard.ParentShardId) && iterators.has(shard.ParentShardId)) continue;
      const it = await streams.send(
        new GetShardIteratorCommand({ StreamArn: opts.streamArn, ShardId: id, ShardIteratorType: "TRIM_HORIZON" }),
      );
      if (it.ShardIterator) iterators.set(id, it.ShardIterator);
    }
  };

  const forward = async (records: _Record[]) => {
    const entries = records
      .filter((r) => PIPE_FILTERS.some((f) => matchesPattern(f, r)))
      .map((r, i) => ({
        Id: String(i),
        MessageBody: renderTemplate(PIPE_TARGET.inputTemplate, r),
        MessageGroupId: String(readPath(r, PIPE_TARGET.messageGroupIdPath)),
        MessageDeduplicationId: String(readPath(r, PIPE_TARGET.messageDeduplicationIdPath)),
      }));
    for (let i = 0; i < entries.length; i += 10) {
      const out = await opts.sqs.send(
        new SendMessageBatchCommand({ QueueUrl: opts.queueUrl, Entries: entries.slice(i, i + 10) }),
      );
      if (out.Failed?.length) throw new Error(`SQS refused ${out.Failed.length} messages: ${out.Failed[0]?.Code}`);
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
          // Forward before advancing: a failed send is retried from the same place, so nothing is lost.
          if (out.Records?.length) {
            await forward(out.Records);
            moved = true;
          }
          if (out.NextShardIterator) iterators.set(shard, out.NextShardIterator);
          else {
            iterators.delete(shard);
            finished.add(shard);
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
