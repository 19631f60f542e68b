import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpSlackAuth } from "../../functions/adapters/slack-auth";
import { FAKE_SLACK_BOT, FAKE_SLACK_SCOPES, FAKE_SLACK_TEAM, FakeSlack } from "../../local/fake-slack";

const slack = new FakeSlack();
const warnings: unknown[] = [];
let auth: HttpSlackAuth;
beforeAll(async () => {
  await slack.start();
  auth = new HttpSlackAuth({
    apiUrl: `${slack.url}/api/`,
    timeoutMs: 300,
    warn: (message, fields) => warnings.push({ message, fields }),
  });
});
afterAll(() => slack.stop());

describe("auth.test over HTTP (the connect preflight)", () => {
  it("POSTs with the bearer token and reads the identity and the x-oauth-scopes header", async () => {
    expect(await auth.identify("xoxb-unit-1")).toEqual({
      status: "ok",
      identity: { ...FAKE_SLACK_TEAM, user: FAKE_SLACK_BOT.user, user_id: FAKE_SLACK_BOT.user_id },
      scopes: FAKE_SLACK_SCOPES.split(","),
    });
    expect(slack.authRequests.at(-1)).toMatchObject({ path: "/api/auth.test", authorization: "Bearer xoxb-unit-1" });
    // Without the header, no scopes are claimed either way.
    slack.scriptAuth({ json: { ok: true, ...FAKE_SLACK_TEAM, user: "u", user_id: "U1" } });
    expect(await auth.identify("xoxb-unit-1")).not.toHaveProperty("scopes");
  });

  it("ok:false is rejected with Slack's code; an odd code is not repeated", async () => {
    expect(await auth.identify("xoxb-revoked-1")).toEqual({ status: "rejected", error: "token_revoked" });
    slack.scriptAuth({ json: { ok: false, error: "xoxb-revoked-1 <script>" } });
    expect(await auth.identify("xoxb-revoked-1")).toEqual({ status: "rejected", error: "invalid_response" });
  });

  it("5xx, 429, Slack's own trouble, a dropped connection, a redirect and a timeout are unavailable", async () => {
    warnings.length = 0;
    let release = () => {};
    slack.scriptAuth(
      { status: 503, text: "down" },
      { status: 429, headers: { "retry-after": "1" }, json: { ok: false, error: "ratelimited" } },
      { json: { ok: false, error: "internal_error" } },
      "reset",
      { status: 302, headers: { location: "https://evil.example/" }, text: "" },
      { until: new Promise<void>((r) => (release = r)) },
    );
    const reasons = [];
    for (let i = 0; i < 6; i++) {
      const r = await auth.identify("xoxb-secret-token-1");
      expect(r.status).toBe("unavailable");
      reasons.push(r.status === "unavailable" ? r.reason : "");
    }
    release();
    expect(reasons).toEqual([
      "http_503",
      "rate_limited",
      "internal_error",
      "network_error",
      "network_error",
      "timeout",
    ]);
    expect(warnings).toHaveLength(6);
    expect(JSON.stringify(warnings)).not.toContain("xoxb-secret-token-1");
  });
});
