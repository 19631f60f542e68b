import { Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import type { Construct } from "constructs";
import type { StatefulStack } from "./stateful-stack";
import type { StatelessStack } from "./stateless-stack";

/** Runs cdk-nag's AwsSolutions pack over the app at synthesis; an unacknowledged finding fails `cdk synth`. */
export function applyNag(app: Construct): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
}

/** Each accepted finding on the narrowest construct that raises it, with its reason next to it. */
export function acknowledgeAcceptedFindings(stateful: StatefulStack, stateless: StatelessStack): void {
  const ack = (scope: Construct, id: string, reason: string) => Validations.of(scope).acknowledge({ id, reason });
  ack(
    stateful.pipeDeadLetterQueue,
    "AwsSolutions-SQS3",
    "It is the pipe's dead-letter queue; a DLQ of a DLQ adds nothing.",
  );
  ack(
    stateless,
    "AwsSolutions-IAM5[Resource::*]",
    "X-Ray PutTraceSegments, the pipe's logs:DescribeLogGroups and dynamodb:ListStreams accept no resource ARN.",
  );
  for (const f of [stateless.apiFunction, stateless.authorizerFunction, stateless.deliveryFunction]) {
    ack(
      f,
      "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
      "Lets the function write its own logs only; CDK attaches it to every Lambda role.",
    );
  }
  ack(
    stateless.api,
    "AwsSolutions-APIG4",
    "Open as the contract has them: GET /health, GET /v1/openapi.json, the console's static files and $default (the contract's 404/405); every other route has the token authorizer.",
  );
}
