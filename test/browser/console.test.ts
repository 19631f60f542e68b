import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStack, type TestStack } from "../fixtures/test-stack";
import { axeFindings, launch, openConsole, shoot, signIn } from "./browser";

let t: TestStack;
let browser: Browser;

beforeAll(async () => {
  [t, browser] = await Promise.all([startTestStack(), launch()]);
});
afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

describe("the console in a browser", () => {
  it("signs in and connects Slack", async () => {
    const w = await t.workspace();
    const { page, problems, close } = await openConsole(browser, t.stack.url);
    await shoot(page, "01-sign-in");
    await signIn(page, w.token);
    await page.getByRole("button", { name: "Connect Slack" }).waitFor();
    await shoot(page, "02-not-connected");
    expect(await axeFindings(page)).toEqual([]);
    await page.getByRole("button", { name: "Connect Slack" }).click();
    await page.getByRole("radio", { name: "Bot token" }).check();
    await page.getByRole("textbox", { name: "Bot token" }).fill("xoxb-test-1234");
    await page.getByLabel("Channel", { exact: true }).fill("#upgrades");
    await page.getByRole("button", { name: "Add", exact: true }).click();
    await page.getByLabel("Channel", { exact: true }).fill("prod-alerts");
    await page.getByRole("button", { name: "Add", exact: true }).click();
    await shoot(page, "03-connect-form");
    expect(await axeFindings(page)).toEqual([]);
    await page.getByRole("button", { name: "Connect", exact: true }).click();
    await page.getByRole("button", { name: "Test Integration" }).waitFor();
    await shoot(page, "04-connected");
    expect(await axeFindings(page)).toEqual([]);
    expect(problems).toEqual([]);
    await close();
  });
});
