import { fileURLToPath } from "node:url";
import { Duration, RemovalPolicy } from "aws-cdk-lib";
import { ManagedPolicy, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Architecture, LoggingFormat, Runtime, Tracing } from "aws-cdk-lib/aws-lambda";
import { NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { METRIC_NAMESPACE, serviceNameOf } from "../../functions/core/operational";
import { aliasArgs, LAMBDA_BUNDLING } from "../bundling";
import type { StageConfig } from "../stage-config";

const root = fileURLToPath(new URL("../..", import.meta.url));

export interface ServiceFunctionProps {
  stage: StageConfig;
  /** `api`, `authorizer` or `delivery`: the folder under functions/ holding handler.ts. */
  entry: string;
  description: string;
  timeout: Duration;
  memorySize?: number;
  reservedConcurrentExecutions?: number;
  environment?: Record<string, string>;
  /** A fixed name for the function's role, for a policy elsewhere that must name it (see function-roles.ts). */
  roleName?: string;
}

/**
 * Every Lambda of the service: Node.js 24 on arm64 (nodejs22.x is deprecated from 2027-04-30; 24 is supported to
 * 2028-04-30), bundled by the local esbuild (never Docker) as minified ESM with source maps, its own log group with the stage's retention, Powertools settings and, where the stage has it on, X-Ray
 * tracing.
 */
export class ServiceFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, "Logs", {
      retention: props.stage.logRetention,
      removalPolicy: props.stage.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    // The role CDK would make (Lambda's basic execution policy, grants added later), only with the given name.
    const role =
      props.roleName === undefined
        ? undefined
        : new Role(this, "Role", {
            roleName: props.roleName,
            assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
            managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName("service-role/AWSLambdaBasicExecutionRole")],
          });
    this.fn = new NodejsFunction(this, "Function", {
      role,
      entry: `${root}functions/${props.entry}/handler.ts`,
      handler: "handler",
      projectRoot: root,
      depsLockFilePath: `${root}package-lock.json`,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      description: props.description,
      timeout: props.timeout,
      memorySize: props.memorySize ?? 512,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      tracing: props.stage.tracing ? Tracing.ACTIVE : Tracing.DISABLED,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      environment: {
        NODE_OPTIONS: "--enable-source-maps",
        POWERTOOLS_SERVICE_NAME: serviceNameOf(props.stage.name),
        POWERTOOLS_METRICS_NAMESPACE: METRIC_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: props.stage.logLevel,
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: LAMBDA_BUNDLING.target,
        minify: true,
        sourceMap: true,
        // Mappings only: stack traces still name the original file and line, and Node, which parses a function's
        // source map when it loads the bundle (--enable-source-maps), reads a third of the bytes.
        sourcesContent: false,
        keepNames: true,
        mainFields: [...LAMBDA_BUNDLING.mainFields],
        // The SDK is bundled, not taken from the runtime: the version we test is the version we run.
        externalModules: [],
        forceDockerBundling: false,
        banner: LAMBDA_BUNDLING.banner,
        esbuildArgs: { "--alias": aliasArgs() },
      },
    });
  }
}
