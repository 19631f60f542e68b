import { CfnOutput, Duration, Stack, type StackProps } from "aws-cdk-lib";
import { AccessLogFormat } from "aws-cdk-lib/aws-apigateway";
import { CorsHttpMethod, HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { LogGroup } from "aws-cdk-lib/aws-logs";
import { CfnPipe } from "aws-cdk-lib/aws-pipes";
import type { Construct } from "constructs";
import { writeConsoleModule } from "../console/build";
import { ROUTES } from "../functions/api/routes";
import { API, DELIVERY, MEMORY_MB, PIPE } from "../functions/core/operational";
import { functionRoleName } from "./function-roles";
import { Monitoring } from "./constructs/monitoring";
import { ServiceFunction } from "./constructs/service-function";
import { PIPE_FILTERS, PIPE_TARGET } from "./pipe-definition";
import type { StatefulStack } from "./stateful-stack";
import type { StageConfig } from "./stage-config";

export interface StatelessStackProps extends StackProps {
  stage: StageConfig;
  stateful: StatefulStack;
}

const SEND_MESSAGE_ACTIONS = ["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"];

/** What can be replaced at will: the API, the functions, the pipe and the monitoring. */
export class StatelessStack extends Stack {
  readonly api: HttpApi;
  readonly apiFunction: ServiceFunction;
  readonly authorizerFunction: ServiceFunction;
  readonly deliveryFunction: ServiceFunction;
  readonly pipe: CfnPipe;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { stage, stateful } = props;
    const { table, dataKey, credentialKey, deliveryQueue, deadLetterQueue, pipeDeadLetterQueue } = stateful;
    const common = {
      TABLE_NAME: table.tableName,
      DASHBOARD_URL: stage.dashboardUrl,
      NOTIFICATION_RETENTION_DAYS: String(stage.notificationRetentionDays),
    };

    this.authorizerFunction = new ServiceFunction(this, "Authorizer", {
      stage,
      entry: "authorizer",
      description: "Resolves bearer tokens (by hash) to a workspace and scopes",
      timeout: Duration.seconds(API.authorizerTimeoutSeconds),
      memorySize: MEMORY_MB.authorizer,
      environment: common,
    });
    // The API function serves the console from a module the console build writes; it must exist before esbuild
    // bundles the function, which the CDK does right here, at construction.
    writeConsoleModule();
    this.apiFunction = new ServiceFunction(this, "Api", {
      stage,
      entry: "api",
      description: "Every route of the HTTP API",
      timeout: Duration.seconds(API.timeoutSeconds),
      memorySize: MEMORY_MB.api,
      environment: { ...common, KMS_KEY_ID: credentialKey.keyArn },
      roleName: functionRoleName(this, stage, "api"),
    });
    this.deliveryFunction = new ServiceFunction(this, "Delivery", {
      stage,
      entry: "delivery",
      description: "Renders Block Kit and posts to Slack, with retries, from the FIFO delivery queue",
      timeout: Duration.seconds(DELIVERY.timeoutSeconds),
      memorySize: MEMORY_MB.delivery,
      reservedConcurrentExecutions: stage.deliveryReservedConcurrency,
      roleName: functionRoleName(this, stage, "delivery"),
      environment: {
        ...common,
        KMS_KEY_ID: credentialKey.keyArn,
        DELIVERY_QUEUE_URL: deliveryQueue.queueUrl,
        DEAD_LETTER_QUEUE_URL: deadLetterQueue.queueUrl,
      },
    });

    // Least privilege: each function gets exactly the item actions its code performs, on the partitions it uses.
    const onPartitions = (prefix: string) => ({
      "ForAllValues:StringLike": { "dynamodb:LeadingKeys": [`${prefix}*`] },
    });
    // The authorizer reads token items only (TOKEN#<hash>).
    this.authorizerFunction.fn.addToRolePolicy(
      new PolicyStatement({
        actions: ["dynamodb:GetItem"],
        resources: [table.tableArn],
        conditions: onPartitions("TOKEN#"),
      }),
    );
    // The API touches both kinds: workspaces, integrations, events, notifications (WS#…) and tokens (TOKEN#…).
    table.grant(
      this.apiFunction.fn,
      "dynamodb:GetItem",
      "dynamodb:BatchGetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:DeleteItem",
      "dynamodb:Query",
      "dynamodb:ConditionCheckItem",
    );
    // Delivery reads and writes workspace items only (WS#<id>): notifications, events, integration, pacing, threads.
    // BatchGetItem is its own action (loadDelivery reads in one); a transaction needs the actions of its items.
    this.deliveryFunction.fn.addToRolePolicy(
      new PolicyStatement({
        actions: ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
        resources: [table.tableArn],
        conditions: onPartitions("WS#"),
      }),
    );
    // The data key, exactly as each AWS service asks (see README, "What the stacks hold"): DynamoDB decrypts the
    // table key with the caller's kms:Decrypt for reads and writes alike; an SQS consumer needs kms:Decrypt, a
    // producer kms:GenerateDataKey and kms:Decrypt. CDK's encrypt grants would add Encrypt, ReEncrypt* and
    // GenerateDataKey*, which no code path uses.
    dataKey.grant(this.authorizerFunction.fn, "kms:Decrypt");
    dataKey.grant(this.apiFunction.fn, "kms:Decrypt");
    dataKey.grant(this.deliveryFunction.fn, "kms:Decrypt", "kms:GenerateDataKey");
    // The credential key: the API wraps (and the test route unwraps), delivery only unwraps, nobody else touches it.
    // The key policy names these two roles too (lib/function-roles.ts).
    credentialKey.grant(this.apiFunction.fn, "kms:GenerateDataKey", "kms:Decrypt");
    credentialKey.grant(this.deliveryFunction.fn, "kms:Decrypt");
    // SQS actions as grantSendMessages gives them, without its key actions (the data key grant above covers them).
    deadLetterQueue.grant(this.deliveryFunction.fn, ...SEND_MESSAGE_ACTIONS);
    this.deliveryFunction.fn.addEventSource(
      new SqsEventSource(deliveryQueue, {
        batchSize: DELIVERY.batchSize,
        reportBatchItemFailures: true,
        maxConcurrency: stage.deliveryMaxConcurrency,
      }),
    );

    this.api = this.createApi(stage);
    this.pipe = this.createPipe(stage, stateful);

    new Monitoring(this, "Monitoring", {
      stage,
      api: this.api,
      functions: [this.apiFunction, this.authorizerFunction, this.deliveryFunction],
      deliveryFunction: this.deliveryFunction,
      deliveryQueue,
      deadLetterQueue,
      pipeDeadLetterQueue,
      topicKey: dataKey,
    });

    new CfnOutput(this, "ApiUrl", { value: this.api.apiEndpoint, description: "Base URL of the HTTP API" });
    new CfnOutput(this, "TableName", { value: table.tableName });
    new CfnOutput(this, "DeliveryQueueUrl", { value: deliveryQueue.queueUrl });
    new CfnOutput(this, "DeadLetterQueueUrl", { value: deadLetterQueue.queueUrl });
    new CfnOutput(this, "DeadLetterQueueArn", { value: deadLetterQueue.queueArn });
    new CfnOutput(this, "DeliveryQueueArn", { value: deliveryQueue.queueArn });
  }

  private createApi(stage: StageConfig): HttpApi {
    const integration = new HttpLambdaIntegration("Api", this.apiFunction.fn);
    const api = new HttpApi(this, "HttpApi", {
      description: `medulla-slack-notifier ${stage.name}`,
      // The $default route, unauthenticated: unknown routes get the contract's 404/405 bodies from the function.
      defaultIntegration: integration,
      createDefaultStage: false,
      corsPreflight: stage.corsAllowedOrigins.length
        ? {
            allowOrigins: stage.corsAllowedOrigins,
            allowHeaders: ["authorization", "content-type"],
            allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.PUT, CorsHttpMethod.DELETE],
          }
        : undefined,
    });
    const accessLogs = new LogGroup(this, "ApiAccessLogs", { retention: stage.logRetention });
    new HttpStage(this, "DefaultStage", {
      httpApi: api,
      stageName: "$default",
      autoDeploy: true,
      throttle: stage.apiThrottle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.jsonWithStandardFields(),
      },
    });
    const authorizer = new HttpLambdaAuthorizer("TokenAuthorizer", this.authorizerFunction.fn, {
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: ["$request.header.Authorization"],
      resultsCacheTtl: Duration.seconds(stage.authorizerCacheSeconds),
    });
    // The route table (functions/api/routes.ts) is the one list: the function's router reads it too.
    for (const route of ROUTES) {
      api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration,
        ...(route.access === "public" ? {} : { authorizer }),
      });
    }
    return api;
  }

  private createPipe(stage: StageConfig, stateful: StatefulStack): CfnPipe {
    const { table, dataKey, deliveryQueue, pipeDeadLetterQueue } = stateful;
    const role = new Role(this, "PipeRole", { assumedBy: new ServicePrincipal("pipes.amazonaws.com") });
    // What grantStreamRead and grantSendMessages give, without their key actions: reading the stream decrypts with
    // the table's key (kms:Decrypt); sending to the encrypted queues needs kms:GenerateDataKey and kms:Decrypt.
    table.grantTableListStreams(role);
    table.grantStream(role, "dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator");
    deliveryQueue.grant(role, ...SEND_MESSAGE_ACTIONS);
    pipeDeadLetterQueue.grant(role, ...SEND_MESSAGE_ACTIONS);
    dataKey.grant(role, "kms:Decrypt", "kms:GenerateDataKey");
    const logs = new LogGroup(this, "PipeLogs", { retention: stage.logRetention });
    logs.grantWrite(role);
    role.addToPolicy(new PolicyStatement({ actions: ["logs:DescribeLogGroups"], resources: ["*"] }));
    return new CfnPipe(this, "StreamToQueue", {
      description: "Pending notifications from the table stream to the FIFO delivery queue",
      roleArn: role.roleArn,
      source: table.tableStreamArn as string,
      sourceParameters: {
        dynamoDbStreamParameters: {
          startingPosition: "TRIM_HORIZON",
          batchSize: PIPE.batchSize,
          maximumRetryAttempts: PIPE.maximumRetryAttempts,
          maximumRecordAgeInSeconds: PIPE.maximumRecordAgeSeconds,
          deadLetterConfig: { arn: pipeDeadLetterQueue.queueArn },
        },
        filterCriteria: { filters: PIPE_FILTERS.map((f) => ({ pattern: JSON.stringify(f) })) },
      },
      target: deliveryQueue.queueArn,
      targetParameters: {
        inputTemplate: PIPE_TARGET.inputTemplate,
        sqsQueueParameters: {
          messageGroupId: PIPE_TARGET.messageGroupIdPath,
          messageDeduplicationId: PIPE_TARGET.messageDeduplicationIdPath,
        },
      },
      logConfiguration: { level: "ERROR", cloudwatchLogsLogDestination: { logGroupArn: logs.logGroupArn } },
    });
  }
}
