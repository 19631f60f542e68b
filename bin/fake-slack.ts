/**
 * `npm run fake-slack`: a stand-in Slack for machines without internet (or without a Slack workspace). Point the
 * service at it with SLACK_API_URL=http://127.0.0.1:3999/api/ and SLACK_WEBHOOK_ORIGIN=http://127.0.0.1:3999; it
 * prints every message it receives and answers `ok`. auth.test (the connect preflight) answers ok for any token,
 * team "Acme", user "medulla", unless the token contains revoked, invalid, expired, inactive or noscope.
 */
import { FakeSlack } from "../local/fake-slack";

const port = Number(process.env.FAKE_SLACK_PORT ?? 3999);

async function main() {
  const slack = await new FakeSlack().start(port);
  console.log(`fake Slack listening on ${slack.url}
  SLACK_API_URL=${slack.url}/api/ SLACK_WEBHOOK_ORIGIN=${slack.url} npm start`);
  slack.onRequest = (r) => {
    const attachment = (
      r.body.attachments as { color?: string; blocks?: { type: string; text?: { text?: string } }[] }[] | undefined
    )?.[0];
    const header = attachment?.blocks?.find((b) => b.type === "header")?.text?.text;
    const where = r.path.startsWith("/services/")
      ? `webhook ${r.path.split("/").slice(0, 3).join("/")}/…`
      : String(r.body.channel);
    console.log(`${new Date(r.at).toISOString()}  ${where}  ${attachment?.color ?? ""}  ${header ?? r.body.text}`);
  };
  slack.onAuthTest = (r) =>
    console.log(`${new Date(r.at).toISOString()}  auth.test (connect preflight)  HTTP ${r.status}`);
  process.on("SIGINT", () => void slack.stop().then(() => process.exit(0)));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
