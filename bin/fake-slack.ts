/**
 * `npm run fake-slack`: a stand-in Slack for machines without internet (or without a Slack workspace). Point the
 * service at it with SLACK_API_URL=http://127.0.0.1:3999/api/ and SLACK_WEBHOOK_ORIGIN=http://127.0.0.1:3999; it
 * answers like Slack (channel ids, ts, threads, chat.update) and prints each channel as a person would read it.
 * auth.test (the connect preflight) answers ok for any token, team "Acme", user "medulla", unless the token contains
 * revoked, invalid, expired, inactive or noscope.
 */
import { authTestAnswer, FakeSlack } from "../local/fake-slack";

const port = Number(process.env.FAKE_SLACK_PORT ?? 3999);

async function main() {
  const slack = await new FakeSlack().start(port);
  console.log(`fake Slack listening on ${slack.url}
  SLACK_API_URL=${slack.url}/api/ SLACK_WEBHOOK_ORIGIN=${slack.url} npm start`);
  // Each answer prints the channel as a person would read it (status messages with their replies), or, for a post
  // it refused, what it said.
  slack.onAnswer = (r, status, body) => {
    const key = r.path.startsWith("/services/") ? r.path : String(r.body.channel);
    const name = [...slack.channels.entries()].find(([n, c]) => n === key || c.id === key)?.[0] ?? key;
    const title = name.startsWith("/services/") ? `webhook ${name.split("/").slice(0, 3).join("/")}/…` : name;
    // Slack's error: in the Web API's JSON (ok: false), or a refused webhook's plain-text body (no_service, …).
    const json = typeof body === "string" ? undefined : (body as { ok?: boolean; error?: string } | undefined);
    const error = status !== 200 && typeof body === "string" ? body : json?.ok === false ? json.error : undefined;
    if (status !== 200 || error) {
      console.log(
        `\n${new Date(r.at).toISOString()}  ${title}: refused (${error ?? `HTTP ${status}`}), nothing posted`,
      );
      return;
    }
    const what = r.path.endsWith("chat.update") ? "updated a message" : r.body.thread_ts ? "replied" : "posted";
    console.log(`\n${new Date(r.at).toISOString()}  ${title}: ${what}`);
    for (const line of slack.transcript(name).slice(-30)) console.log(`  ${line}`);
  };
  slack.onAuthTest = (r) => {
    const answer = authTestAnswer(r.authorization).json as {
      ok: boolean;
      error?: string;
      team?: string;
      user?: string;
    };
    const verdict = answer.ok ? `ok: team ${answer.team}, user ${answer.user}` : answer.error;
    console.log(`\n${new Date(r.at).toISOString()}  auth.test (connect preflight): ${verdict}`);
  };
  process.on("SIGINT", () => void slack.stop().then(() => process.exit(0)));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
