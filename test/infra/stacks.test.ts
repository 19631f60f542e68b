import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { App, type CfnElement } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import type { IRole, Role } from "aws-cdk-lib/aws-iam";
import { Queue } from "aws-cdk-lib/aws-sqs";
import { describe, expect, it } from "vitest";
import { addStage } from "../../lib/app";
import { ALARMS } from "../../lib/constructs/monitoring";
import { PIPE_FILTERS, PIPE_TARGET } from "../../lib/pipe-definition";
import { resolveStage } from "../../lib/stage-config";
import { makeApi, type ApiDeps } from "../../functions/api/app";
import { PUBLIC_PATHS, ROUTES } from "../../functions/api/routes";
import { DELIVERY, METRIC_NAMESPACE, METRICS, serviceNameOf } from "../../functions/core/operational";
import { CREDENTIAL_KEY_ADMIN_ACTIONS } from "../../lib/stateful-stack";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { DynamoStore } from "../../functions/adapters/dynamo-store";
import type { DeliveryStore, ThreadRecord } from "../../functions/core/ports";

/** Synthesizes a stage with cdk-nag on (it throws on any unacknowledged finding); bundling skipped for speed. */
function synth(context: Record<string, string>) {
  const app = new App({ context: { ...context, "aws:cdk:bundling-stacks": [] } });
  const { stateful, stateless, stage } = addStage(app);
  const assembly = app.synth();
  return {
    stage,
    stateful: Template.fromStack(stateful),
    stateless: Template.fromStack(stateless),
    assembly,
    statefulStack: stateful,
    statelessStack: stateless,
  };
}

/**
 * The IAM actions behind every DynamoDB request the delivery path's store methods (the DeliveryStore port) send,
 * recorded on a mocked client: BatchGetItem is its own action; a transaction needs its items' actions.
 */
async function deliveryStoreActions(): Promise<string[]> {
  const client = new DynamoDBClient({ region: "eu-west-1" });
  const mock = mockClient(DynamoDBDocumentClient);
  mock.onAnyCommand().resolves({});
  const store: DeliveryStore = new DynamoStore(client, "t");
  const thread = {
    workspace_id: "ws",
    channel: "#c",
    key: "upgrade:u",
    channel_id: "C1",
    ts: "1.1",
    state: {} as ThreadRecord["state"],
    seq: 1,
    shown_seq: 1,
    last_applied: "n",
    opened_by: "n",
    updated_at: "2026-12-01T00:00:00Z",
  };
  const calls: Record<keyof DeliveryStore, () => Promise<unknown>> = {
    loadDelivery: () => store.loadDelivery({ workspace_id: "ws", notification_id: "n", event_id: "e", channel: "#c" }),
    getIntegration: () => store.getIntegration("ws"),
    startAttempt: () => store.startAttempt("ws", "n", 3),
    finish: () => store.finish("ws", "n", { status: "delivered", slack_ts: "1.2" }),
    recordOutcome: () => store.recordOutcome("ws", "n", 1),
    markUncertain: () => store.markUncertain("ws", "n"),
    deferRetry: () => store.deferRetry("ws", "n", "2026-12-01T00:00:01Z"),
    recordPost: () =>
      store.recordPost("ws", "#c", 1, { status: "delivered", at: "2026-12-01T00:00:00Z", connection_id: "c" }),
    recordHealth: () =>
      store.recordHealth("ws", "#c", { status: "failed", error: "x", at: "2026-12-01T00:00:00Z", connection_id: "c" }),
    getThread: () => store.getThread("ws", "#c", "upgrade:u"),
    openThread: () => store.openThread(thread, { resetAttemptsOf: "n" }),
    applyToThread: () => store.applyToThread(thread, thread.state, "n"),
    markShown: () => store.markShown(thread, 2),
    startUpdate: () => store.startUpdate("ws", "n", 3),
    finishUpdate: () => store.finishUpdate("ws", "n", "x"),
  };
  for (const call of Object.values(calls)) await call();
  const actions = mock.calls().flatMap((c) => {
    const command = c.args[0] as unknown as { constructor: { name: string }; input: Record<string, unknown> };
    const name = command.constructor.name.replace(/Command$/, "");
    if (name === "Query") return ["dynamodb:Query"];
    if (name !== "TransactWrite") return [`dynamodb:${name}Item`];
    const items = command.input.TransactItems as Record<string, unknown>[];
    return items.flatMap((i) => Object.keys(i).map((k) => `dynamodb:${k}Item`));
  });
  mock.restore();
  return [...new Set(actions)].sort();
}

const dev = synth({ stage: "dev" });
const prod = synth({ stage: "prod", alarmEmail: "ops@example.com" });

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };
const resources = (t: Template, type: string) => Object.values(t.findResources(type)) as Resource[];

type Statement = {
  Sid?: string;
  Effect: string;
  Principal?: unknown;
  Action: string | string[];
  Resource?: unknown;
  Condition?: unknown;
};
const actionsOf = (st: Statement) => (Array.isArray(st.Action) ? st.Action : [st.Action]);
/** An IAM action pattern (with `*`) against one action name. */
const matches = (pattern: string, action: string) =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`, "i").test(action);
/** A CloudFormation value as a string: Fn::Join flattened, Ref as ${Name}, Fn::ImportValue as ${Import:Name}. */
const flat = (v: unknown): string => JSON.stringify(resolve(v));
function resolve(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(resolve);
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if ("Ref" in o) return `\${${String(o.Ref)}}`;
    if ("Fn::ImportValue" in o) return `\${Import:${String(o["Fn::ImportValue"])}}`;
    if ("Fn::Join" in o) {
      const [sep, parts] = o["Fn::Join"] as [string, unknown[]];
      return parts.map((p) => String(resolve(p))).join(sep);
    }
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, resolve(x)]));
  }
  return v;
}
const logicalId = (role: IRole | undefined) =>
  dev.statelessStack.getLogicalId((role as Role).node.defaultChild as CfnElement);
/** Every statement of the inline policies attached to one role. */
const roleStatements = (role: IRole | undefined): Statement[] =>
  resources(dev.stateless, "AWS::IAM::Policy")
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(`"${logicalId(role)}"`))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
/** The sorted, distinct KMS actions a role has on one of the two keys (by construct id in the stateful stack). */
const keyActions = (role: IRole | undefined, key: "DataKey" | "CredentialKey") =>
  [
    ...new Set(
      roleStatements(role)
        .filter((st) => flat(st.Resource).includes(`ExportsOutputFnGetAtt${key}`))
        .flatMap(actionsOf),
    ),
  ].sort();
const functionRoles = () =>
  [dev.statelessStack.apiFunction, dev.statelessStack.authorizerFunction, dev.statelessStack.deliveryFunction].map(
    (f) => f.fn.role,
  );
const pipeRole = () => dev.statelessStack.node.findChild("PipeRole") as Role;

describe("stages", () => {
  it("names stacks by stage; prod is termination-protected and retains its data", () => {
    expect(dev.statefulStack.stackName).toBe("MedullaSlackNotifier-dev-Stateful");
    expect(prod.statelessStack.stackName).toBe("MedullaSlackNotifier-prod-Stateless");
    expect(prod.statefulStack.terminationProtection).toBe(true);
    expect(dev.statefulStack.terminationProtection).toBe(false);
    for (const type of ["AWS::DynamoDB::Table", "AWS::KMS::Key", "AWS::SQS::Queue"]) {
      expect(
        resources(prod.stateful, type).every((r) => r.DeletionPolicy === "Retain"),
        type,
      ).toBe(true);
      expect(
        resources(dev.stateful, type).every((r) => r.DeletionPolicy === "Delete"),
        type,
      ).toBe(true);
    }
  });

  it("rejects an unknown stage, naming the known ones and the way to name one where it is asked for", () => {
    expect(() => resolveStage("qa")).toThrow(/dev, prod \(use -c stage=NAME\)/);
    expect(() => resolveStage("qa", {}, "--stage NAME")).toThrow(/dev, prod \(use --stage NAME\)/);
  });

  it("runs cdk-nag's AwsSolutions checks: the stages pass, an unacknowledged finding fails synthesis", () => {
    const report = JSON.parse(readFileSync(join(dev.assembly.directory, "validation-report.json"), "utf8"));
    expect(report.pluginReports).toEqual([]);
    const app = new App({ context: { stage: "dev", "aws:cdk:bundling-stacks": [] } });
    const { stateful } = addStage(app);
    new Queue(stateful, "QueueWithoutTls");
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });
});

describe("stateful stack", () => {
  it("table: on demand, stream with both images, PITR, customer managed key, TTL", () => {
    dev.stateful.hasResourceProperties("AWS::DynamoDB::Table", {
      BillingMode: "PAY_PER_REQUEST",
      StreamSpecification: { StreamViewType: "NEW_AND_OLD_IMAGES" },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: "KMS", KMSMasterKeyId: Match.anyValue() },
      TimeToLiveSpecification: { AttributeName: "expires_at", Enabled: true },
    });
  });

  it("keys rotate; the credential key refuses use without a workspace encryption context", () => {
    const keys = resources(dev.stateful, "AWS::KMS::Key");
    expect(keys).toHaveLength(2);
    expect(keys.every((k) => k.Properties.EnableKeyRotation === true)).toBe(true);
    dev.stateful.hasResourceProperties("AWS::KMS::Key", {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: "RequireWorkspaceEncryptionContext",
            Effect: "Deny",
            Action: Match.arrayWith(["kms:Decrypt", "kms:GenerateDataKey"]),
            Condition: { Null: { "kms:EncryptionContext:workspace_id": "true" } },
          }),
        ]),
      },
    });
  });

  it("queues: FIFO delivery queue with a FIFO DLQ, encrypted, TLS only, visibility 6x the function timeout", () => {
    dev.stateful.hasResourceProperties("AWS::SQS::Queue", {
      FifoQueue: true,
      VisibilityTimeout: 360,
      KmsMasterKeyId: Match.anyValue(),
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: DELIVERY.maxReceiveCount },
    });
    expect(resources(dev.stateful, "AWS::SQS::Queue").filter((q) => q.Properties.FifoQueue)).toHaveLength(2);
    expect(resources(dev.stateful, "AWS::SQS::Queue").every((q) => q.Properties.KmsMasterKeyId)).toBe(true);
    const policies = resources(dev.stateful, "AWS::SQS::QueuePolicy");
    expect(policies).toHaveLength(3);
    for (const p of policies) {
      expect(JSON.stringify(p.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    }
  });
});

describe("functions", () => {
  it("X-Ray tracing on in dev, off in prod unless -c tracing=on, with the X-Ray grant only where it is on", () => {
    const mode = (t: Template) =>
      resources(t, "AWS::Lambda::Function").map((f) => (f.Properties.TracingConfig as { Mode?: string })?.Mode);
    const grantsXray = (t: Template) => JSON.stringify(t.findResources("AWS::IAM::Policy")).includes("xray:");
    expect(mode(dev.stateless)).toEqual(["Active", "Active", "Active"]);
    expect(mode(prod.stateless)).toEqual([undefined, undefined, undefined]);
    expect(grantsXray(prod.stateless)).toBe(false);
    const traced = synth({ stage: "prod", tracing: "on" });
    expect(mode(traced.stateless)).toEqual(["Active", "Active", "Active"]);
    expect(grantsXray(traced.stateless)).toBe(true);
    expect(() => resolveStage("prod", { tracing: "yes" })).toThrow(/on or off/);
  });

  it("three functions on nodejs24.x arm64, JSON logs in their own log group, Powertools settings", () => {
    const fns = resources(dev.stateless, "AWS::Lambda::Function");
    expect(fns).toHaveLength(3);
    for (const f of fns) {
      expect(f.Properties).toMatchObject({
        Runtime: "nodejs24.x",
        Architectures: ["arm64"],
        LoggingConfig: { LogFormat: "JSON", LogGroup: expect.anything() },
      });
      expect((f.Properties.Environment as { Variables: Record<string, string> }).Variables).toMatchObject({
        POWERTOOLS_SERVICE_NAME: "medulla-slack-notifier-dev",
        POWERTOOLS_LOG_LEVEL: "DEBUG",
        NODE_OPTIONS: "--enable-source-maps",
      });
    }
    const groups = resources(dev.stateless, "AWS::Logs::LogGroup");
    expect(groups.every((g) => g.Properties.RetentionInDays === 14)).toBe(true);
    expect(resources(prod.stateless, "AWS::Logs::LogGroup").every((g) => g.Properties.RetentionInDays === 90)).toBe(
      true,
    );
  });

  it("delivery: reserved concurrency per stage, mapping concurrency within it, partial batch failures", () => {
    for (const { stateless, stage } of [dev, prod]) {
      stateless.hasResourceProperties("AWS::Lambda::Function", {
        ReservedConcurrentExecutions: stage.deliveryReservedConcurrency,
      });
      stateless.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
        FunctionResponseTypes: ["ReportBatchItemFailures"],
        ScalingConfig: { MaximumConcurrency: stage.deliveryMaxConcurrency },
      });
      expect(stage.deliveryMaxConcurrency).toBeLessThanOrEqual(stage.deliveryReservedConcurrency);
    }
  });

  it("each role gets exactly the KMS actions its AWS services ask for, per key", () => {
    // DynamoDB: Decrypt (reads and writes); SQS consumer: Decrypt; SQS producer: GenerateDataKey + Decrypt.
    expect(keyActions(dev.statelessStack.authorizerFunction.fn.role, "DataKey")).toEqual(["kms:Decrypt"]);
    expect(keyActions(dev.statelessStack.apiFunction.fn.role, "DataKey")).toEqual(["kms:Decrypt"]);
    expect(keyActions(dev.statelessStack.deliveryFunction.fn.role, "DataKey")).toEqual([
      "kms:Decrypt",
      "kms:GenerateDataKey",
    ]);
    expect(keyActions(pipeRole(), "DataKey")).toEqual(["kms:Decrypt", "kms:GenerateDataKey"]);
    expect(keyActions(dev.statelessStack.apiFunction.fn.role, "CredentialKey")).toEqual([
      "kms:Decrypt",
      "kms:GenerateDataKey",
    ]);
    expect(keyActions(dev.statelessStack.deliveryFunction.fn.role, "CredentialKey")).toEqual(["kms:Decrypt"]);
    expect(keyActions(dev.statelessStack.authorizerFunction.fn.role, "CredentialKey")).toEqual([]);
    expect(keyActions(pipeRole(), "CredentialKey")).toEqual([]);
    // No wildcard key actions anywhere in the functions' and the pipe's policies.
    for (const role of [...functionRoles(), pipeRole()]) {
      expect(
        roleStatements(role)
          .flatMap(actionsOf)
          .filter((a) => a.startsWith("kms:") && a.includes("*")),
      ).toEqual([]);
    }
  });

  it("table grants are the item actions each function uses, the authorizer on token items, delivery on workspace items", async () => {
    const dynamo = (role: IRole | undefined) =>
      roleStatements(role).filter((st) => actionsOf(st).some((a) => a.startsWith("dynamodb:")));
    const [authorizer] = dynamo(dev.statelessStack.authorizerFunction.fn.role);
    expect(dynamo(dev.statelessStack.authorizerFunction.fn.role)).toHaveLength(1);
    expect(actionsOf(authorizer as Statement)).toEqual(["dynamodb:GetItem"]);
    expect(authorizer?.Condition).toEqual({ "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["TOKEN#*"] } });
    const deliveryStatements = dynamo(dev.statelessStack.deliveryFunction.fn.role);
    expect(deliveryStatements).toHaveLength(1);
    // Exactly the IAM actions of the requests the delivery path's store methods send.
    expect(actionsOf(deliveryStatements[0] as Statement).sort()).toEqual(await deliveryStoreActions());
    expect(deliveryStatements[0]?.Condition).toEqual({
      "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["WS#*"] },
    });
    const api = dynamo(dev.statelessStack.apiFunction.fn.role);
    expect(api.flatMap(actionsOf)).not.toContain("dynamodb:Scan");
    // The API reads and writes both kinds of partition.
    expect(api.every((st) => st.Condition === undefined)).toBe(true);
  });
});

describe("credential key policy", () => {
  const policy = () =>
    (
      resources(dev.stateful, "AWS::KMS::Key").find((k) => String(k.Properties.Description).includes("credentials"))
        ?.Properties.KeyPolicy as { Statement: Statement[] }
    ).Statement;
  const bySid = (sid: string) => policy().find((st) => st.Sid === sid) as Statement;
  const roleNameOf = (role: IRole | undefined) =>
    String(resolve((dev.stateless.toJSON().Resources[logicalId(role)] as Resource).Properties.RoleName));
  const arnOf = (role: IRole | undefined) => `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${roleNameOf(role)}`;
  const api = () => arnOf(dev.statelessStack.apiFunction.fn.role);
  const delivery = () => arnOf(dev.statelessStack.deliveryFunction.fn.role);
  const root = "arn:${AWS::Partition}:iam::${AWS::AccountId}:root";

  it("the account's administrators manage the key and cannot use it (no grants either)", () => {
    const admin = bySid("KeyAdministration");
    expect(admin.Effect).toBe("Allow");
    expect(flat(admin.Principal)).toBe(JSON.stringify({ AWS: root }));
    expect(actionsOf(admin)).toEqual(CREDENTIAL_KEY_ADMIN_ACTIONS);
    for (const use of ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:CreateGrant"])
      expect(
        actionsOf(admin).some((a) => matches(a, use)),
        use,
      ).toBe(false);
    // Nothing grants the account kms:* any more, so no IAM policy alone can unlock the key.
    expect(
      policy()
        .filter((st) => st.Effect === "Allow")
        .flatMap(actionsOf),
    ).not.toContain("kms:*");
  });

  it("only the API role (wrap and unwrap) and the delivery role (unwrap) may use it, named by ARN", () => {
    expect(roleNameOf(dev.statelessStack.apiFunction.fn.role)).toBe("medulla-slack-notifier-dev-api-${AWS::Region}");
    const apiUse = bySid("ApiWrapsAndUnwraps");
    expect(apiUse).toMatchObject({ Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"] });
    expect(flat(apiUse.Condition)).toBe(JSON.stringify({ ArnEquals: { "aws:PrincipalArn": api() } }));
    const deliveryUse = bySid("DeliveryUnwraps");
    expect(deliveryUse).toMatchObject({ Effect: "Allow", Action: "kms:Decrypt" });
    expect(flat(deliveryUse.Condition)).toBe(JSON.stringify({ ArnEquals: { "aws:PrincipalArn": delivery() } }));
    const allowedUse = policy()
      .filter((st) => st.Effect === "Allow")
      .filter((st) => actionsOf(st).some((a) => ["kms:Decrypt", "kms:GenerateDataKey"].includes(a)));
    expect(allowedUse.map((st) => st.Sid).sort()).toEqual(["ApiWrapsAndUnwraps", "DeliveryUnwraps"]);
  });

  it("denies Decrypt and GenerateDataKey* to every other principal (aws:PrincipalArn), and use without a workspace", () => {
    const decrypt = bySid("DenyDecryptToAllButApiAndDelivery");
    expect(decrypt).toMatchObject({ Effect: "Deny", Principal: { AWS: "*" } });
    expect(actionsOf(decrypt)).toEqual(["kms:Decrypt", "kms:ReEncrypt*"]);
    expect(flat(decrypt.Condition)).toBe(JSON.stringify({ ArnNotEquals: { "aws:PrincipalArn": [api(), delivery()] } }));
    const generate = bySid("DenyGenerateDataKeyToAllButApi");
    expect(generate).toMatchObject({ Effect: "Deny", Principal: { AWS: "*" }, Action: "kms:GenerateDataKey*" });
    expect(flat(generate.Condition)).toBe(JSON.stringify({ ArnNotEquals: { "aws:PrincipalArn": api() } }));
    expect(bySid("RequireWorkspaceEncryptionContext")).toMatchObject({
      Effect: "Deny",
      Condition: { Null: { "kms:EncryptionContext:workspace_id": "true" } },
    });
  });

  it("the data key lets CloudWatch publish to the encrypted alarm topic, as the SNS guide lists", () => {
    dev.stateful.hasResourceProperties("AWS::KMS::Key", {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
          }),
        ]),
      },
    });
  });
});

describe("HTTP API", () => {
  it("has exactly the route table's routes: the CDK, the function's router and the local server agree", async () => {
    const routes = resources(dev.stateless, "AWS::ApiGatewayV2::Route").filter(
      (r) => r.Properties.RouteKey !== "$default",
    );
    const deployed = new Map(
      routes.map((r) => [r.Properties.RouteKey as string, (r.Properties.AuthorizationType as string) ?? "NONE"]),
    );
    // The table against API Gateway, with the authorizer on every route that is not public.
    expect([...deployed.keys()].sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    for (const r of ROUTES)
      expect(deployed.get(`${r.method} ${r.path}`), r.id).toBe(r.access === "public" ? "NONE" : "CUSTOM");
    // Every deployed route against the function's router: it must know the route (not 404 "No such route" or 405).
    // No token is sent, so protected routes answer 401 and public ones 200; no store is touched.
    const api = makeApi({} as ApiDeps);
    // The console's greedy route is asked for a file it always has.
    const ids: Record<string, string> = {
      ws: "ws_AAAAAAAAAAAAAAAA",
      id: "ntf_0000000000000000000000aa",
      "proxy+": "index.html",
    };
    for (const [key, auth] of deployed) {
      const [method, path] = key.split(" ") as [string, string];
      const concrete = path.replace(/\{([^}]+)\}/g, (_, name: string) => ids[name] ?? "x");
      const event = {
        version: "2.0",
        rawPath: concrete,
        headers: {},
        requestContext: { http: { method, path: concrete } },
        isBase64Encoded: false,
      };
      const res = (await api(event as never, { awsRequestId: "t", getRemainingTimeInMillis: () => 1000 } as never)) as {
        statusCode: number;
      };
      expect(res.statusCode, key).toBe(auth === "NONE" ? 200 : 401);
    }
    // And the local HTTP server's open paths are API Gateway's.
    expect([...PUBLIC_PATHS].sort()).toEqual(
      [...deployed]
        .filter(([, auth]) => auth === "NONE")
        .map(([k]) => k.split(" ")[1])
        .sort(),
    );
    expect(resources(dev.stateless, "AWS::ApiGatewayV2::Route").some((r) => r.Properties.RouteKey === "$default")).toBe(
      true,
    );
    dev.stateless.hasResourceProperties("AWS::ApiGatewayV2::Authorizer", {
      AuthorizerType: "REQUEST",
      EnableSimpleResponses: true,
      IdentitySource: ["$request.header.Authorization"],
      AuthorizerResultTtlInSeconds: 60,
    });
  });

  it("logs access, throttles, and has CORS off unless configured", () => {
    dev.stateless.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
      StageName: "$default",
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.anyValue() },
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
    });
    expect(resources(dev.stateless, "AWS::ApiGatewayV2::Api")[0]?.Properties.CorsConfiguration).toBeUndefined();
  });
});

describe("pipe", () => {
  it("forwards pending notifications with the shared filter, group and dedup ids, finite retries and its own DLQ", () => {
    dev.stateless.hasResourceProperties("AWS::Pipes::Pipe", {
      SourceParameters: {
        DynamoDBStreamParameters: {
          StartingPosition: "TRIM_HORIZON",
          MaximumRetryAttempts: 10,
          MaximumRecordAgeInSeconds: 3600,
          DeadLetterConfig: { Arn: Match.anyValue() },
        },
        FilterCriteria: { Filters: PIPE_FILTERS.map((f) => ({ Pattern: JSON.stringify(f) })) },
      },
      TargetParameters: {
        InputTemplate: PIPE_TARGET.inputTemplate,
        SqsQueueParameters: {
          MessageGroupId: PIPE_TARGET.messageGroupIdPath,
          MessageDeduplicationId: PIPE_TARGET.messageDeduplicationIdPath,
        },
      },
    });
  });
});

describe("operations", () => {
  it("every alarm goes to the encrypted SNS topic; prod e-mails it", () => {
    const alarms = resources(dev.stateless, "AWS::CloudWatch::Alarm");
    expect(alarms.map((a) => a.Properties.AlarmName).sort()).toEqual(
      Object.values(ALARMS)
        .map((n) => `medulla-slack-notifier-dev-${n}`)
        .sort(),
    );
    for (const a of alarms) {
      expect(a.Properties.AlarmActions).toHaveLength(1);
      expect(String(a.Properties.AlarmDescription)).toContain("RUNBOOK.md#");
    }
    dev.stateless.hasResourceProperties("AWS::SNS::Topic", { KmsMasterKeyId: Match.anyValue() });
    expect(resources(dev.stateless, "AWS::SNS::Subscription")).toHaveLength(0);
    prod.stateless.hasResourceProperties("AWS::SNS::Subscription", { Protocol: "email", Endpoint: "ops@example.com" });
    dev.stateless.resourceCountIs("AWS::CloudWatch::Dashboard", 1);
  });

  it("every alarm on a custom metric watches a name the code emits, with the functions' namespace and service", () => {
    const emitted = new Set<string>(Object.values(METRICS));
    // Every source file of the functions: where a METRICS name is emitted.
    const root = new URL("../../functions/", import.meta.url);
    const sources = (readdirSync(root, { recursive: true }) as string[])
      .filter((f) => f.endsWith(".ts"))
      .map((f) => readFileSync(new URL(f, root), "utf8"))
      .join("\n");
    const watched = resources(dev.stateless, "AWS::CloudWatch::Alarm").flatMap((a) => {
      const direct = a.Properties.Namespace ? [a.Properties] : [];
      const inMath = ((a.Properties.Metrics as { MetricStat?: { Metric: Record<string, unknown> } }[]) ?? [])
        .map((m) => m.MetricStat?.Metric)
        .filter((m): m is Record<string, unknown> => m !== undefined);
      return [...direct, ...inMath].map((m) => ({ alarm: a.Properties.AlarmName, metric: m }));
    });
    const custom = watched.filter(({ metric }) => metric.Namespace === METRIC_NAMESPACE);
    expect(custom.length).toBeGreaterThanOrEqual(3);
    for (const { alarm, metric } of custom) {
      const name = metric.MetricName as string;
      expect(emitted.has(name), `${alarm} watches ${name}`).toBe(true);
      const key = Object.entries(METRICS).find(([, v]) => v === name)?.[0];
      expect(sources, `${alarm}: METRICS.${key} is emitted somewhere`).toContain(`METRICS.${key}`);
      expect(metric.Dimensions).toEqual([{ Name: "service", Value: serviceNameOf("dev") }]);
    }
    const fn = resources(dev.stateless, "AWS::Lambda::Function").find((f) =>
      JSON.stringify(f.Properties.Environment).includes("POWERTOOLS_SERVICE_NAME"),
    );
    expect(fn?.Properties.Environment).toMatchObject({
      Variables: { POWERTOOLS_SERVICE_NAME: serviceNameOf("dev"), POWERTOOLS_METRICS_NAMESPACE: METRIC_NAMESPACE },
    });
  });

  it("RUNBOOK.md has a section for every alarm", () => {
    const runbook = readFileSync(new URL("../../RUNBOOK.md", import.meta.url), "utf8");
    for (const name of Object.values(ALARMS)) expect(runbook).toContain(`## ${name.toLowerCase()}\n\n**${name}**`);
  });

  it("outputs what the operator CLI reads", () => {
    for (const name of [
      "ApiUrl",
      "TableName",
      "DeliveryQueueUrl",
      "DeadLetterQueueUrl",
      "DeadLetterQueueArn",
      "DeliveryQueueArn",
    ]) {
      dev.stateless.hasOutput(name, {});
    }
  });
});
