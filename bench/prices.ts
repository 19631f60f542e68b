/**
 * List prices the cost model multiplies by (bench/cost.ts), in one table: us-east-1, on-demand, no free tier (a free
 * tier is per account and would make a per-notification figure depend on everything else in the account), read
 * 2026-12-01. AWS's own pricing pages render their rate tables in the browser, so where the stored text of the page
 * shows no number, `source` names the page and `seenAt` the public page that quotes the figure from it.
 */
export const PRICES_READ_ON = "2026-12-01";
export const PRICES_REGION = "us-east-1";

export interface Price {
  /** Dollars per one unit. */
  usd: number;
  unit: string;
  source: string;
  seenAt?: string;
  note?: string;
}

const perMillion = (usd: number) => usd / 1_000_000;

export const PRICES = {
  dynamodbWriteUnit: {
    usd: perMillion(0.625),
    unit: "write request unit (on-demand, Standard table class)",
    source: "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    seenAt: "https://airbyte.com/data-engineering-resources/dynamodb-pricing (post-November-2024 price)",
    note: "a transactional write costs 2 units per KB; an item is billed on the larger of its before and after size",
  },
  dynamodbReadUnit: {
    usd: perMillion(0.125),
    unit: "read request unit (on-demand, Standard table class)",
    source: "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    seenAt: "https://airbyte.com/data-engineering-resources/dynamodb-pricing",
  },
  dynamodbStorageGbMonth: {
    usd: 0.25,
    unit: "GB-month stored (Standard table class)",
    source: "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    seenAt: 'public cost write-ups quoting the page (e.g. "$0.25 per GB-month thereafter")',
  },
  dynamodbPitrGbMonth: {
    usd: 0.2,
    unit: "GB-month of continuous backup (point-in-time recovery, on in the stateful stack)",
    source: "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    seenAt: 'third-party summaries only ("Continuous Backups (PITR) $0.20 per GB/month"): an assumption until read',
  },
  sqsFifoRequest: {
    usd: perMillion(0.5),
    unit: "SQS FIFO request, per 64 KB chunk of payload",
    source: "https://aws.amazon.com/sqs/pricing/",
    seenAt: "https://cloudburn.io/blog/amazon-sqs-pricing (March 2026)",
  },
  kmsRequest: {
    usd: 0.03 / 10_000,
    unit: "KMS request (symmetric key: GenerateDataKey, Decrypt)",
    source: "https://aws.amazon.com/kms/pricing/",
    seenAt: "https://www.wring.co/blog/aws-kms-pricing-guide (March 2026)",
  },
  lambdaRequest: {
    usd: perMillion(0.2),
    unit: "Lambda invocation",
    source: "https://aws.amazon.com/lambda/pricing/",
    seenAt: "https://cloudchipr.com/blog/aws-lambda-pricing",
  },
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    unit: "Lambda GB-second, arm64, first pricing tier",
    source: "https://aws.amazon.com/lambda/pricing/",
    seenAt: "https://cloudchipr.com/blog/aws-lambda-pricing",
  },
  httpApiRequest: {
    usd: perMillion(1.0),
    unit: "API Gateway HTTP API request (first 300 million a month, metered in 512 KB increments)",
    source:
      "https://docs.aws.amazon.com/whitepapers/latest/best-practices-api-gateway-private-apis-integration/cost-optimization.html",
  },
  pipesRequest: {
    usd: perMillion(0.4),
    unit: "EventBridge Pipes request (per 64 KB chunk of a batch, counted after filtering)",
    source: "https://aws.amazon.com/eventbridge/pricing/",
    seenAt: "https://cloudburn.io/blog/amazon-eventbridge-pricing (March 2026)",
  },
  xrayTrace: {
    usd: perMillion(5.0),
    unit: "X-Ray trace recorded",
    source: "https://aws.amazon.com/xray/pricing/",
  },
  logsIngestGb: {
    usd: 0.5,
    unit: "GB of CloudWatch Logs ingested (Standard class; Lambda logs' first tier)",
    source: "https://aws.amazon.com/cloudwatch/pricing/",
    seenAt: "https://www.duckbillgroup.com/?p=9080 (Lambda log tiering, first tier $0.50/GB)",
  },
} as const satisfies Record<string, Price>;

export type PriceName = keyof typeof PRICES;
