/**
 * Operator CLI against a deployed stage (AWS credentials from the usual chain):
 *
 *   npm run cli -- admin-token create --stage prod [--name "ops laptop"]
 *   npm run cli -- admin-token list   --stage prod
 *   npm run cli -- admin-token revoke --stage prod --id tok_…
 *   npm run cli -- token create --stage prod --workspace ws_… --name engine --scopes events:write
 *   npm run cli -- dlq list    --stage prod [--max 50]
 *   npm run cli -- dlq redrive --stage prod [--max 500]
 *
 * It reads the stage's stack outputs (table, queues) and uses the same store code as the functions.
 */
import { parseArgs } from "node:util";
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoStore } from "../functions/adapters/dynamo-store";
import { SCOPES, type Scope } from "../functions/core/identity";
import {
  createAdminToken,
  createWorkspaceToken,
  listAdminTokens,
  peekDeadLetters,
  redriveDeadLetters,
  revokeAdminToken,
} from "../ops/operations";
import { resolveStage, stackName } from "../lib/stage-config";

const USAGE = `usage: npm run cli -- <admin-token create|list|revoke | token create | dlq list|redrive> --stage NAME [options]
  --name TEXT          token name
  --id TOK             admin token to revoke
  --workspace WS       workspace for a token
  --scopes A,B         scopes for a token (${SCOPES.join(", ")})
  --max N              dead letters to list or redrive (default 50 / 500)
  --region REGION      AWS region (default: AWS_REGION, or your profile's)
  --help               this text
For a deployed stage (dev, prod). Locally, npm start prints the admin token, and the API does the rest.`;

const COMMANDS = [
  "admin-token create",
  "admin-token list",
  "admin-token revoke",
  "token create",
  "dlq list",
  "dlq redrive",
] as const;

/** The scopes of `token create`, or the reason they will not do: checked before anything is asked of AWS. */
function tokenScopes(values: { workspace?: string; name?: string; scopes?: string }): Scope[] {
  const scopes = (values.scopes ?? "").split(",").filter(Boolean);
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (!values.workspace || !values.name || !scopes.length || unknown.length) {
    throw new Error(`token create needs --workspace, --name and --scopes from: ${SCOPES.join(", ")}`);
  }
  return scopes as Scope[];
}

async function outputs(stage: string, region?: string): Promise<Record<string, string>> {
  const cfn = new CloudFormationClient(region ? { region } : {});
  const name = stackName(resolveStage(stage, {}, "--stage NAME"), "Stateless");
  const out = await cfn.send(new DescribeStacksCommand({ StackName: name }));
  const entries = (out.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey as string, o.OutputValue as string]);
  if (!entries.length)
    throw new Error(`Stack ${name} has no outputs: is stage ${stage} deployed in this account and region?`);
  return Object.fromEntries(entries);
}

async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      stage: { type: "string" },
      name: { type: "string" },
      id: { type: "string" },
      workspace: { type: "string" },
      scopes: { type: "string" },
      max: { type: "string" },
      region: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const command = positionals.join(" ");
  if (values.help) return console.log(USAGE);
  if (!values.stage || !(COMMANDS as readonly string[]).includes(command)) throw new Error(USAGE);
  // The arguments first: a mistake in them is told as such, not as a missing region or stack.
  resolveStage(values.stage, {}, "--stage NAME");
  if (command === "admin-token revoke" && !values.id) throw new Error("--id is required");
  const scopes = command === "token create" ? tokenScopes(values) : [];
  const out = await outputs(values.stage, values.region);
  const clientConfig = values.region ? { region: values.region } : {};
  const store = new DynamoStore(new DynamoDBClient(clientConfig), out.TableName as string);
  const sqs = new SQSClient(clientConfig);
  const print = (v: unknown) => console.log(JSON.stringify(v, null, 2));

  switch (command) {
    case "admin-token create":
      return print(await createAdminToken(store, values.name ?? "admin"));
    case "admin-token list":
      return print((await listAdminTokens(store)).map(({ id, name, created_at }) => ({ id, name, created_at })));
    case "admin-token revoke":
      if (!(await revokeAdminToken(store, values.id as string))) throw new Error(`No admin token ${values.id}.`);
      return print({ revoked: values.id });
    case "token create":
      return print(await createWorkspaceToken(store, values.workspace as string, values.name as string, scopes));
    case "dlq list":
      return print(
        (await peekDeadLetters(sqs, out.DeadLetterQueueUrl as string, Number(values.max ?? 50))).map(
          ({ receiptHandle: _, ...d }) => d,
        ),
      );
    case "dlq redrive":
      return print(
        await redriveDeadLetters({
          store,
          sqs,
          deadLetterQueueUrl: out.DeadLetterQueueUrl as string,
          deadLetterQueueArn: out.DeadLetterQueueArn as string,
          deliveryQueueArn: out.DeliveryQueueArn as string,
          max: Number(values.max ?? 500),
        }),
      );
    default:
      throw new Error(USAGE);
  }
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  // The SDK's own words name no way out.
  console.error(
    message === "Region is missing"
      ? "No AWS region: pass --region REGION or set AWS_REGION (or a profile's region)."
      : message,
  );
  process.exit(1);
});
