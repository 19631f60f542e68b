// zod/mini, not zod: every function parses its settings at init, and the classic API, which the authorizer and the
// delivery function need nowhere else, was most of what their bundles shed for a faster cold start (README, "Cold
// starts").
import en from "zod/v4/locales/en.js";
import * as z from "zod/mini";
import { SLACK_TIMEOUT_MS_DEFAULT } from "../core/operational";

// zod/mini ships without messages ("Invalid input" for everything); a bad setting should say what is wrong with it.
// English only: `z.locales.en()` would bundle every locale (about 250 KiB).
z.config(en());

const urlWithSlash = z.pipe(
  z.url(),
  z.transform((u: string) => (u.endsWith("/") ? u : `${u}/`)),
);
const intIn = (min: number, max: number, fallback: number) =>
  z._default(z.coerce.number().check(z.int(), z.minimum(min), z.maximum(max)), fallback);
const nonEmpty = () => z.string().check(z.minLength(1));

/** Every setting the functions read, parsed once at init: a bad value stops the function before it takes traffic. */
const envSchema = z.object({
  TABLE_NAME: nonEmpty(),
  KMS_KEY_ID: z.optional(nonEmpty()),
  LOCAL_MASTER_KEY_FILE: z.optional(nonEmpty()),
  SLACK_API_URL: z._default(urlWithSlash, "https://slack.com/api/"),
  SLACK_WEBHOOK_ORIGIN: z._default(z.url(), "https://hooks.slack.com"),
  SLACK_CHANNEL_INTERVAL_MS: intIn(0, 60_000, 1000),
  SLACK_TIMEOUT_MS: intIn(100, 30_000, SLACK_TIMEOUT_MS_DEFAULT),
  DASHBOARD_URL: z._default(z.url(), "http://localhost:3000/"),
  DELIVERY_QUEUE_URL: z.optional(z.string()),
  DEAD_LETTER_QUEUE_URL: z.optional(z.string()),
  NOTIFICATION_RETENTION_DAYS: intIn(1, 3650, 30),
  /**
   * The delivery function's data-key cache (README, "Data-key cache"); `off` sends every open to KMS, for an operator
   * who wants a revoked grant to bite at once, and for the benchmark's with/without comparison.
   */
  DATA_KEY_CACHE: z._default(z.enum(["on", "off"]), "on"),
  /** Local emulators only; unset on AWS. */
  DYNAMODB_ENDPOINT: z.optional(z.string()),
  SQS_ENDPOINT: z.optional(z.string()),
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
