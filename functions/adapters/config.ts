import * as z from "zod";
import { SLACK_TIMEOUT_MS_DEFAULT } from "../core/operational";

const urlWithSlash = z.url().transform((u) => (u.endsWith("/") ? u : `${u}/`));

/** Every setting the functions read, parsed once at init: a bad value stops the function before it takes traffic. */
const envSchema = z.object({
  TABLE_NAME: z.string().min(1),
  KMS_KEY_ID: z.string().min(1).optional(),
  LOCAL_MASTER_KEY_FILE: z.string().min(1).optional(),
  SLACK_API_URL: urlWithSlash.default("https://slack.com/api/"),
  SLACK_WEBHOOK_ORIGIN: z.url().default("https://hooks.slack.com"),
  SLACK_CHANNEL_INTERVAL_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
  SLACK_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(SLACK_TIMEOUT_MS_DEFAULT),
  DASHBOARD_URL: z.url().default("http://localhost:3000/"),
  DELIVERY_QUEUE_URL: z.string().optional(),
  DEAD_LETTER_QUEUE_URL: z.string().optional(),
  NOTIFICATION_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /** Local emulators only; unset on AWS. */
  DYNAMODB_ENDPOINT: z.string().optional(),
  SQS_ENDPOINT: z.string().optional(),
});

export type Config = z.infer<typeof envSchema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`Invalid configuration: ${problems}`);
  }
  return parsed.data;
}
