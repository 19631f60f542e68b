import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { TABLE_KEYS } from "../functions/adapters/dynamo-store";
import { DELIVERY } from "../functions/core/operational";

/** The same table the stateful stack defines: pk/sk strings, on-demand, a stream with both images, TTL. */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<{ streamArn: string }> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [
          { AttributeName: TABLE_KEYS.partitionKey, AttributeType: "S" },
          { AttributeName: TABLE_KEYS.sortKey, AttributeType: "S" },
        ],
        KeySchema: [
          { AttributeName: TABLE_KEYS.partitionKey, KeyType: "HASH" },
          { AttributeName: TABLE_KEYS.sortKey, KeyType: "RANGE" },
        ],
        StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" },
      }),
    );
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TABLE_KEYS.ttl, Enabled: true },
      }),
    );
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
  const table = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const streamArn = table.Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`Table ${tableName} has no stream`);
  return { streamArn };
}

export interface LocalQueues {
  deliveryQueueUrl: string;
  deadLetterQueueUrl: string;
}

/**
 * The delivery FIFO queue and its FIFO dead-letter queue, as in the stateful stack: explicit deduplication ids,
 * redrive after the stack's `maxReceiveCount` receives (a batch's later messages of a channel are received and handed
 * back once per post before theirs, so a smaller count would dead-letter live messages of a busy channel).
 */
export async function ensureQueues(
  sqs: SQSClient,
  prefix: string,
  visibilityTimeoutSeconds: number,
): Promise<LocalQueues> {
  const dlq = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${prefix}-delivery-dlq.fifo`,
      Attributes: { FifoQueue: "true", MessageRetentionPeriod: "1209600" },
    }),
  );
  const deadLetterQueueUrl = dlq.QueueUrl as string;
  const dlqArn = (
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: deadLetterQueueUrl, AttributeNames: ["QueueArn"] }))
  ).Attributes?.QueueArn as string;
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${prefix}-delivery.fifo`,
      Attributes: {
        FifoQueue: "true",
        VisibilityTimeout: String(visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: DELIVERY.maxReceiveCount }),
      },
    }),
  );
  return { deliveryQueueUrl: queue.QueueUrl as string, deadLetterQueueUrl };
}
