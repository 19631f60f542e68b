/**
 * `npm start`: the whole service on this machine. DynamoDB Local and an SQS emulator stand in for AWS; the API,
 * authorizer and delivery handlers are the Lambda entry points themselves.
 */
import { join, resolve } from "node:path";
import * as z from "zod";
import { localCredentialsFor, preparePrivateDir } from "../local/data-dir";
import { MissingJavaError, startDynamoDbLocal, startSqsEmulator } from "../local/emulators";
import { startLocalStack } from "../local/stack";

const started = Date.now();
const env = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    ADMIN_TOKEN: z.string().min(16, "ADMIN_TOKEN must be at least 16 characters").optional(),
    DATA_DIR: z.string().default(".data"),
    DYNAMODB_PORT: z.coerce.number().int().min(1).max(65535).default(8000),
    SQS_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  })
  .safeParse(process.env);
if (!env.success) {
  console.error(`Invalid setting: ${env.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  process.exit(2);
}
const { PORT, ADMIN_TOKEN, DATA_DIR, DYNAMODB_PORT, SQS_PORT } = env.data;
const dataDir = resolve(DATA_DIR);
const log = (line: string) => console.log(`[local] ${line}`);

/**
 * What has started so far, stopped on the way out whether start-up finished or not, one after the other, last started
 * first: the stack (stops taking work, finishes and records what is in flight, then the pump), then DynamoDB Local,
 * then the SQS emulator. Nothing is stopped under something still using it.
 */
const cleanups: (() => Promise<void>)[] = [];
async function stopAll() {
  for (const stop of cleanups.splice(0).reverse()) {
    await stop().catch((err: unknown) => log(`while stopping: ${err instanceof Error ? err.message : String(err)}`));
  }
}

// Installed before anything starts, so a signal at any moment (even during start-up) stops what is running. The
// terminal's Ctrl-C reaches only this process (DynamoDB Local runs in its own process group), and the JVM no longer
// gets the terminal's hang-up either, so SIGHUP stops it here too. A repeated signal (npm forwards the one the
// terminal sent) changes nothing.
let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping; deliveries in flight finish and are recorded first…`);
  const force = setTimeout(() => {
    log("still busy after 90 s; exiting anyway");
    process.exit(1);
  }, 90_000);
  force.unref();
  await stopAll();
  log("stopped");
  process.exit(0);
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => void shutdown(signal));

async function main() {
  preparePrivateDir(dataDir);
  const credentials = localCredentialsFor(dataDir);
  log(`starting DynamoDB Local on port ${DYNAMODB_PORT} (data in ${join(dataDir, "dynamodb")}) and the SQS emulator…`);
  const sqs = await startSqsEmulator({ port: SQS_PORT });
  cleanups.push(() => sqs.stop());
  const dynamodb = await startDynamoDbLocal({ port: DYNAMODB_PORT, dbPath: join(dataDir, "dynamodb"), credentials });
  cleanups.push(() => dynamodb.stop());
  const stack = await startLocalStack({
    dynamodbEndpoint: dynamodb.endpoint,
    sqsEndpoint: sqs.endpoint,
    credentials,
    port: PORT,
    dataDir,
    tableName: "medulla-slack-notifier",
    queuePrefix: "medulla-slack-notifier",
    adminToken: ADMIN_TOKEN,
    // Unset, the functions' own default applies: http://localhost:3000/ (contract section 1), whatever PORT is.
    ...(process.env.DASHBOARD_URL ? { env: { DASHBOARD_URL: process.env.DASHBOARD_URL } } : {}),
    log,
  });
  cleanups.push(() => stack.stop());
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const u = stack.url;
  console.log(`
medulla-slack-notifier is running (ready in ${seconds} s)

  API          ${u}
  console      ${u}/console/   (sign in with the admin token, create a workspace, connect Slack)
  admin token  ${stack.adminToken}
  DynamoDB     ${dynamodb.endpoint} (access key id in ${join(dataDir, "dynamodb-local.json")})   SQS ${sqs.endpoint}
  Slack        ${process.env.SLACK_API_URL ?? "https://slack.com/api/"} (webhooks: ${process.env.SLACK_WEBHOOK_ORIGIN ?? "https://hooks.slack.com"})

Try it (copy and paste):

  ADMIN=${stack.adminToken}
  WS=$(curl -s -X POST ${u}/v1/workspaces -H "authorization: Bearer $ADMIN" -H 'content-type: application/json' -d '{"name":"platform"}')
  echo "$WS"; TOKEN=$(echo "$WS" | node -pe 'JSON.parse(require("fs").readFileSync(0)).token'); W=$(echo "$WS" | node -pe 'JSON.parse(require("fs").readFileSync(0)).workspace_id')
  curl -s -w '\\n' -X PUT ${u}/v1/workspaces/$W/integrations/slack -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
    -d '{"bot_token":"xoxb-your-bot-token","channels":["#upgrades"]}'
  curl -s -w '\\n' -X POST ${u}/v1/workspaces/$W/integrations/slack/test -H "authorization: Bearer $TOKEN"
  curl -s -w '\\n' ${u}/v1/workspaces/$W/integrations/slack -H "authorization: Bearer $TOKEN"
  curl -s -w '\\n' -X POST ${u}/v1/workspaces/$W/events -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
    -d '{"event_id":"evt-1","type":"scan_completed","cluster":{"name":"prod-eu-1"},"data":{"risk_score":85,"current_version":"1.29","target_version":"1.30"}}'
  curl -s -w '\\n' ${u}/v1/workspaces/$W/notifications -H "authorization: Bearer $TOKEN"

The PUT checks the token with Slack's auth.test first: a made-up token is 400 credential_rejected (npm run fake-slack
accepts any token unless it contains "revoked", "invalid", "expired", "inactive" or "noscope"). The GET shows the Slack
identity and each channel's health.

Ctrl-C stops everything; deliveries in flight finish and are recorded first.
`);
}

main().catch(async (err: unknown) => {
  if (err instanceof MissingJavaError) console.error(`\n${err.message}\n`);
  else if ((err as { code?: string }).code === "EADDRINUSE") {
    const port = (err as { port?: number }).port ?? PORT;
    const setting = port === SQS_PORT ? "SQS_PORT" : "PORT";
    console.error(
      `[local] could not start: port ${port} is in use. Stop what uses it or set ${setting}, e.g. ${setting}=${port + 1} npm start`,
    );
  } else console.error(`[local] could not start: ${err instanceof Error ? err.message : String(err)}`);
  await stopAll();
  process.exit(1);
});
