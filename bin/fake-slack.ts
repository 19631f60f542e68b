/**
 * `npm run fake-slack`: a stand-in Slack for machines without internet (or without a Slack workspace). Point the
 * service at it with SLACK_API_URL=http://127.0.0.1:3999/api/ and SLACK_WEBHOOK_ORIGIN=http://127.0.0.1:3999; it
 * answers like Slack (channel ids, ts, threads, chat.update) and prints each channel as a person would read it.
 */
import { FakeSlack } from "../local/fake-slack";

const port = Number(process.env.FAKE_SLACK_PORT ?? 3999);

async function main() {
  const slack = await new FakeSlack().start(port);
  console.log(`fake Slack listening on ${slack.url}
  SLACK_API_URL=${slack.url}/api/ SLACK_WEBHOOK_ORIGIN=${slack.url} npm start`);
  // Each change to a channel prints the channel as a person would read it: status messages with their replies.
  slack.onRequest = (r) => {
    const key = r.path.startsWith("/services/") ? r.path : String(r.body.channel);
    setImmediate(() => {
      const name = [...slack.channels.entries()].find(([n, c]) => n === key || c.id === key)?.[0] ?? key;
      const title = name.startsWith("/services/") ? `webhook ${name.split("/").slice(0, 3).join("/")}/…` : name;
      const what = r.path.endsWith("chat.update") ? "updated a message" : r.body.thread_ts ? "replied" : "posted";
      console.log(`\n${new Date(r.at).toISOString()}  ${title}: ${what}`);
      for (const line of slack.transcript(name).slice(-30)) console.log(`  ${line}`);
    });
  };
  process.on("SIGINT", () => void slack.stop().then(() => process.exit(0)));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
