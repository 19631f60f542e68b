import { RetentionDays } from "aws-cdk-lib/aws-logs";

/** Everything that differs between deployments of the service; one entry per stage, chosen with `-c stage=NAME`. */
export interface StageConfig {
  readonly name: string;
  /** Account and region; unset means the CLI's current profile (`CDK_DEFAULT_ACCOUNT`/`CDK_DEFAULT_REGION`). */
  readonly env?: { account?: string; region?: string };
  /** Prod keeps the table, keys and queues when a stack is deleted, and protects the stacks from deletion. */
  readonly retainData: boolean;
  readonly terminationProtection: boolean;
  /** Delivery Lambda reserved concurrency; the SQS mapping's maximum concurrency never exceeds it. */
  readonly deliveryReservedConcurrency: number;
  readonly deliveryMaxConcurrency: number;
  readonly logRetention: RetentionDays;
  readonly logLevel: "DEBUG" | "INFO" | "WARN" | "ERROR";
  /** Steady-state requests per second and burst for the whole API. */
  readonly apiThrottle: { rateLimit: number; burstLimit: number };
  /** How long API Gateway caches an authorizer answer per token (revocations take effect within this). */
  readonly authorizerCacheSeconds: number;
  /** Browser origins allowed to call the API; empty means CORS off. */
  readonly corsAllowedOrigins: string[];
  /** Where "View in Dashboard" points when an event has no dashboard_url. */
  readonly dashboardUrl: string;
  readonly notificationRetentionDays: number;
  /** Alarm e-mail recipient; overridable with `-c alarmEmail=...`. Unset: the SNS topic has no subscription. */
  readonly alarmEmail?: string;
  /**
   * X-Ray active tracing on the three functions; overridable with `-c tracing=on|off`. Lambda samples by a fixed rule
   * (the first request each second, 5% of the rest) that cannot be configured, so its cost follows the traffic:
   * about $4.5 per million notifications at 10 M a month (bench/cost.ts). Off in prod, where the dashboard, the
   * alarms and the logs carry what an operator reads; turned on for an investigation.
   */
  readonly tracing: boolean;
}

export const STAGES: Record<string, StageConfig> = {
  dev: {
    name: "dev",
    retainData: false,
    terminationProtection: false,
    deliveryReservedConcurrency: 2,
    deliveryMaxConcurrency: 2,
    logRetention: RetentionDays.TWO_WEEKS,
    logLevel: "DEBUG",
    apiThrottle: { rateLimit: 20, burstLimit: 40 },
    authorizerCacheSeconds: 60,
    corsAllowedOrigins: [],
    dashboardUrl: "https://dev.medulla.example.com/",
    notificationRetentionDays: 14,
    tracing: true,
  },
  prod: {
    name: "prod",
    retainData: true,
    terminationProtection: true,
    deliveryReservedConcurrency: 10,
    deliveryMaxConcurrency: 10,
    logRetention: RetentionDays.THREE_MONTHS,
    logLevel: "INFO",
    apiThrottle: { rateLimit: 200, burstLimit: 400 },
    authorizerCacheSeconds: 300,
    corsAllowedOrigins: [],
    dashboardUrl: "https://app.medulla.example.com/",
    notificationRetentionDays: 90,
    tracing: false,
  },
};

/**
 * The stage named by `-c stage=NAME` (default dev), with `-c alarmEmail=` and `-c tracing=on|off` applied; an unknown
 * name lists the known ones, with the way to name one where it is asked for (`flag`: the CDK's, or the CLI's).
 */
export function resolveStage(
  name: unknown,
  context: { alarmEmail?: unknown; tracing?: unknown } = {},
  flag = "-c stage=NAME",
): StageConfig {
  const key = typeof name === "string" && name ? name : "dev";
  const stage = STAGES[key];
  if (!stage) throw new Error(`Unknown stage "${key}". Known stages: ${Object.keys(STAGES).join(", ")} (use ${flag}).`);
  if (stage.deliveryMaxConcurrency > stage.deliveryReservedConcurrency) {
    throw new Error(`Stage ${key}: deliveryMaxConcurrency must not exceed deliveryReservedConcurrency.`);
  }
  const { alarmEmail, tracing } = context;
  if (tracing !== undefined && tracing !== "on" && tracing !== "off")
    throw new Error(`-c tracing=${String(tracing)}: use on or off.`);
  return {
    ...stage,
    ...(typeof alarmEmail === "string" && alarmEmail ? { alarmEmail } : {}),
    ...(tracing === undefined ? {} : { tracing: tracing === "on" }),
  };
}

export const stackName = (stage: StageConfig, part: "Stateful" | "Stateless") =>
  `MedullaSlackNotifier-${stage.name}-${part}`;
