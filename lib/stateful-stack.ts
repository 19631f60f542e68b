import { Duration, RemovalPolicy, Stack, type StackProps } from "aws-cdk-lib";
import { AttributeType, BillingMode, StreamViewType, Table, TableEncryption } from "aws-cdk-lib/aws-dynamodb";
import { AnyPrincipal, Effect, PolicyStatement, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import { DeduplicationScope, FifoThroughputLimit, Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import { TABLE_KEYS } from "../functions/adapters/dynamo-store";
import { DELIVERY } from "../functions/core/operational";
import type { StageConfig } from "./stage-config";

export interface StatefulStackProps extends StackProps {
  stage: StageConfig;
}

/**
 * What must outlive a deployment: the table, the two keys and the queues. Prod retains them on stack deletion.
 *
 * Two customer managed keys, because they answer to different policies: `dataKey` encrypts the table, its stream,
 * the queues and the alarm topic at rest (AWS services use it on our behalf); `credentialKey` only wraps the Slack
 * credentials' data keys, its policy refuses any use without a workspace encryption context, and only the API and
 * delivery functions are granted it.
 */
export class StatefulStack extends Stack {
  readonly dataKey: Key;
  readonly credentialKey: Key;
  readonly table: Table;
  readonly deliveryQueue: Queue;
  readonly deadLetterQueue: Queue;
  readonly pipeDeadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const removalPolicy = props.stage.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.dataKey = new Key(this, "DataKey", {
      description: `medulla-slack-notifier ${props.stage.name}: table, queues and topic at rest`,
      enableKeyRotation: true,
      removalPolicy,
    });
    // CloudWatch alarms publish to the encrypted alarm topic.
    this.dataKey.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["kms:Decrypt", "kms:GenerateDataKey"],
        resources: ["*"],
      }),
    );

    this.credentialKey = new Key(this, "CredentialKey", {
      description: `medulla-slack-notifier ${props.stage.name}: envelope keys of Slack credentials`,
      enableKeyRotation: true,
      removalPolicy,
    });
    this.credentialKey.addToResourcePolicy(
      new PolicyStatement({
        sid: "RequireWorkspaceEncryptionContext",
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: [
          "kms:Encrypt",
          "kms:Decrypt",
          "kms:GenerateDataKey",
          "kms:GenerateDataKeyWithoutPlaintext",
          "kms:ReEncrypt*",
        ],
        resources: ["*"],
        conditions: { Null: { "kms:EncryptionContext:workspace_id": "true" } },
      }),
    );

    this.table = new Table(this, "Table", {
      partitionKey: { name: TABLE_KEYS.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.dataKey,
      timeToLiveAttribute: TABLE_KEYS.ttl,
      deletionProtection: props.stage.retainData,
      removalPolicy,
    });

    this.deadLetterQueue = new Queue(this, "DeliveryDeadLetterQueue", {
      fifo: true,
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: this.dataKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    });
    this.deliveryQueue = new Queue(this, "DeliveryQueue", {
      fifo: true,
      // Throughput per message group: each workspace+channel is a group.
      deduplicationScope: DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: this.dataKey,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(DELIVERY.visibilityTimeoutSeconds),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: DELIVERY.maxReceiveCount },
      removalPolicy,
    });
    this.pipeDeadLetterQueue = new Queue(this, "PipeDeadLetterQueue", {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: this.dataKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    });
  }
}
