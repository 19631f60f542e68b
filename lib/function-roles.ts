import { ArnFormat, Stack } from "aws-cdk-lib";
import type { Construct } from "constructs";
import type { StageConfig } from "./stage-config";

/** The functions whose roles the credential key's policy names: the API wraps and unwraps, delivery unwraps. */
export type CredentialKeyUser = "api" | "delivery";

/**
 * Deterministic role names, so the credential key's policy (stateful stack, deployed first) can name the roles of the
 * stateless stack without a cross-stack reference, which would be a cycle. One name per stage and region: IAM names
 * are account-wide.
 */
export const functionRoleName = (scope: Construct, stage: StageConfig, fn: CredentialKeyUser) =>
  `medulla-slack-notifier-${stage.name}-${fn}-${Stack.of(scope).region}`;

/**
 * The role's ARN as a plain string. The key policy uses it only in `aws:PrincipalArn` conditions: KMS checks that a
 * Principal exists when the policy is put (the role does not yet), not condition values; and a condition on the ARN
 * still matches a role deleted and created again under the same name.
 */
export const functionRoleArn = (scope: Construct, stage: StageConfig, fn: CredentialKeyUser) =>
  Stack.of(scope).formatArn({
    service: "iam",
    region: "",
    resource: "role",
    resourceName: functionRoleName(scope, stage, fn),
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
