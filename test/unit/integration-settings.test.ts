import { describe, expect, it } from "vitest";
import { DomainError } from "../../functions/core/errors";
import { isSlackWebhookUrl, planIntegrationUpdate } from "../../functions/core/integration";
import type { IntegrationSettings } from "../../functions/core/settings";

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof DomainError ? err.code : "not-an-api-error";
  }
  return "no-error";
};

describe("webhook URL (SSRF boundary)", () => {
  it("accepts the canonical Slack form only", () => {
    expect(isSlackWebhookUrl("https://hooks.slack.com/services/T0/B0/abc")).toBe(true);
    for (const url of [
      "https://hooks.slack.com.evil.example/services/T/B/x",
      "https://user:pw@hooks.slack.com/services/T/B/x",
      "https://hooks.slack.com@evil.example/services/T/B/x",
      "https:\\\\hooks.slack.com/services/T/B/x",
      "https://hooks.slack.com:443/services/T/B/x",
      "https://hooks.slack.com/services/T/B/../../x",
      "https://hooks.slack.com/services/T/%2F/x",
      "https://hooks.slack.com/servicesX/T/B/x",
      "http://hooks.slack.com/services/T/B/x",
      "data:text/plain,hooks.slack.com/services/",
      "https://[::1]/services/T/B/x",
      "https://0x7f000001/services/T/B/x",
      "https://hooks.slack.com/services/T/B/x?",
      "https://hooks.slack.com/services/T/B/x#",
      "https://hooks.slack.com/services/T/B/x?#",
    ]) {
      expect(isSlackWebhookUrl(url), url).toBe(false);
    }
  });
});

describe("planning a PUT", () => {
  const stored: IntegrationSettings = {
    method: "bot_token",
    channels: [{ name: "#a", conditions: [], mentions: [], mention_on: ["critical"] }],
    enabled: false,
    conditions: [],
    threads: true,
  };

  it("first connect: exactly one credential, defaults filled in", () => {
    expect(codeOf(() => planIntegrationUpdate({}, undefined))).toBe("invalid_credentials");
    expect(codeOf(() => planIntegrationUpdate({ bot_token: "xoxb-1", webhook_url: "x" }, undefined))).toBe(
      "invalid_credentials",
    );
    expect(planIntegrationUpdate({ bot_token: "xoxb-1" }, undefined)).toEqual({
      credential: { method: "bot_token", secret: "xoxb-1" },
      settings: {
        method: "bot_token",
        channels: [{ name: "#general", conditions: [], mentions: [], mention_on: ["critical"] }],
        enabled: true,
        conditions: [],
        threads: true,
      },
    });
  });

  it("an empty channel list means the default #general", () => {
    expect(planIntegrationUpdate({ bot_token: "xoxb-1", channels: [] }, undefined).settings.channels).toEqual([
      { name: "#general", conditions: [], mentions: [], mention_on: ["critical"] },
    ]);
  });

  it("later PUTs keep what they do not carry", () => {
    const plan = planIntegrationUpdate({ conditions: [{ key: "env", operator: "Exists" }] }, stored);
    expect(plan.credential).toBeUndefined();
    expect(plan.settings).toEqual({ ...stored, conditions: [{ key: "env", operator: "Exists" }] });
  });

  it("names the specific problem", () => {
    expect(codeOf(() => planIntegrationUpdate({ bot_token: "xoxp-1" }, undefined))).toBe("invalid_bot_token");
    expect(codeOf(() => planIntegrationUpdate({ user_token: "xoxb-1" }, undefined))).toBe("invalid_user_token");
    expect(codeOf(() => planIntegrationUpdate({ webhook_url: "https://evil.example" }, undefined))).toBe(
      "invalid_webhook_url",
    );
    expect(codeOf(() => planIntegrationUpdate({ channels: Array(21).fill("#a") }, stored))).toBe("too_many_channels");
    expect(codeOf(() => planIntegrationUpdate({ channels: ["#a", "#a"] }, stored))).toBe("invalid_channel");
    expect(codeOf(() => planIntegrationUpdate({ channel: "#a", channels: ["#b"] }, stored))).toBe("validation_error");
    expect(codeOf(() => planIntegrationUpdate({ enabled: "yes" }, stored))).toBe("validation_error");
    expect(codeOf(() => planIntegrationUpdate("text", stored))).toBe("validation_error");
  });
});

describe("threads and mentions", () => {
  it("threads default to true for tokens and are always false for webhooks", () => {
    expect(planIntegrationUpdate({ bot_token: "xoxb-1" }, undefined).settings.threads).toBe(true);
    expect(planIntegrationUpdate({ bot_token: "xoxb-1", threads: false }, undefined).settings.threads).toBe(false);
    const hook = planIntegrationUpdate(
      { webhook_url: "https://hooks.slack.com/services/T1/B1/x", threads: true },
      undefined,
    );
    expect(hook.settings.threads).toBe(false);
    // A token replacing the webhook starts from the default, not the webhook's forced false; a token keeps its own.
    expect(planIntegrationUpdate({ bot_token: "xoxb-2" }, hook.settings).settings.threads).toBe(true);
    const off = planIntegrationUpdate({ bot_token: "xoxb-1", threads: false }, undefined).settings;
    expect(planIntegrationUpdate({ user_token: "xoxp-2" }, off).settings.threads).toBe(false);
  });

  it("keeps validated mentions per channel, with mention_on defaulting to critical", () => {
    const plan = planIntegrationUpdate(
      {
        bot_token: "xoxb-1",
        channels: [
          { name: "#prod", mentions: ["S0123ABCD", "U0456EFGH", "here", "here"], mention_on: ["critical", "high"] },
          { name: "#dev", mentions: ["W0456EFGH"] },
        ],
      },
      undefined,
    );
    expect(plan.settings.channels.map((c) => [c.name, c.mentions, c.mention_on])).toEqual([
      ["#prod", ["S0123ABCD", "U0456EFGH", "here"], ["critical", "high"]],
      ["#dev", ["W0456EFGH"], ["critical"]],
    ]);
  });

  it.each([
    [["<!channel>"]],
    [["@here"]],
    [["u0456efgh"]],
    [["C0123ABCD"]],
    [Array.from({ length: 11 }, (_, i) => `U00000${String(i).padStart(2, "0")}`)],
  ])("refuses mentions %j", (mentions) => {
    expect(
      codeOf(() => planIntegrationUpdate({ bot_token: "xoxb-1", channels: [{ name: "#a", mentions }] }, undefined)),
    ).toBe("validation_error");
  });

  it("says which part of a channel entry is wrong: the mentions, the severity, or the entry's type", () => {
    const details = (body: unknown) => {
      try {
        planIntegrationUpdate(body, undefined);
      } catch (err) {
        return (err as { details?: unknown }).details;
      }
      return undefined;
    };
    const eleven = Array.from({ length: 11 }, () => "here");
    expect(details({ bot_token: "xoxb-1", channels: [{ name: "#a", mentions: eleven }, 5] })).toEqual([
      { path: "channels.0.mentions", message: expect.stringContaining("<=10") },
      { path: "channels.1", message: "Invalid input: expected string or object" },
    ]);
  });

  it("never echoes a credential pasted as a channel, and names the field it came in", () => {
    for (const pasted of ["xoxb-123-secret", "https://hooks.slack.com/services/T0/B0/secretpath"]) {
      for (const body of [{ channel: pasted }, { channels: ["#ok", pasted] }]) {
        let err: { code?: string; message?: string; details?: { path: string }[] } = {};
        try {
          planIntegrationUpdate({ bot_token: "xoxb-1", ...body }, undefined);
        } catch (e) {
          err = e as typeof err;
        }
        expect(err.code).toBe("invalid_channel");
        expect(err.message).not.toContain("secret");
        expect(err.message).toContain("bot_token, user_token or webhook_url");
        expect(err.details?.[0]?.path).toBe("channel" in body ? "channel" : "channels.1");
      }
    }
  });

  it("never echoes an invalid channel's value: our own API tokens and Slack's app tokens are secrets too", () => {
    for (const pasted of [`mdl_SECRET${"x".repeat(37)}`, "xapp-1-A0123-99-SECRETAPP", "Not A Channel SECRET"]) {
      let err: { code?: string; message?: string; details?: { path: string }[] } = {};
      try {
        planIntegrationUpdate({ bot_token: "xoxb-1", channels: ["#ok", { name: pasted }] }, undefined);
      } catch (e) {
        err = e as typeof err;
      }
      expect(err.code).toBe("invalid_channel");
      expect(err.message).not.toContain("SECRET");
      expect(err.message).toContain("channels.1");
      expect(err.details?.[0]?.path).toBe("channels.1");
    }
  });

  it("refuses a field it does not know, named by its path, unless its name looks like a secret", () => {
    const refusal = (body: Record<string, unknown>) => {
      try {
        planIntegrationUpdate(body, undefined);
      } catch (e) {
        return e as { code?: string; message?: string; details?: { path: string; message: string }[] };
      }
      return {};
    };
    // A typo would otherwise keep the stored channels, and top-level mentions would ping nobody, without a word.
    const typo = refusal({ bot_token: "xoxb-1", chanels: ["#a"], mentions: ["here"] });
    expect(typo.code).toBe("validation_error");
    expect(typo.details?.map((d) => d.path)).toEqual(["chanels", "mentions"]);
    const nested = refusal({ bot_token: "xoxb-1", channels: [{ name: "#a", mention: ["here"] }] });
    expect(nested.details?.map((d) => d.path)).toEqual(["channels.0.mention"]);
    for (const key of ["xoxb-123-SECRET", "mdl_SECRETSECRET", "https://hooks.slack.com/services/T/B/SECRET"]) {
      const pasted = refusal({ bot_token: "xoxb-1", [key]: true });
      expect(pasted.code).toBe("validation_error");
      expect(JSON.stringify(pasted)).not.toContain("SECRET");
    }
  });

  it("a first connect without a credential names the fields it does not know: a misspelt credential is likeliest", () => {
    const refusal = (body: Record<string, unknown>) => {
      try {
        planIntegrationUpdate(body, undefined);
      } catch (e) {
        return e as { code?: string; message?: string; details?: { path: string }[] };
      }
      return {};
    };
    const typo = refusal({ bot_tokn: "xoxb-1-SECRET", chanels: ["#a"], enabled: true });
    expect(typo.code).toBe("invalid_credentials");
    expect(typo.message).toContain("provide either bot_token or webhook_url");
    expect(typo.message).toContain("bot_tokn, chanels");
    expect(typo.message).not.toContain("SECRET");
    expect(typo.details?.map((d) => d.path)).toEqual(["bot_tokn", "chanels"]);
    const plain = refusal({ channel: "#a" });
    expect(plain.code).toBe("invalid_credentials");
    expect(plain.details).toBeUndefined();
    expect(JSON.stringify(refusal({ "xoxb-1-SECRET": true }))).not.toContain("SECRET");
  });

  it("refuses an unknown severity in mention_on", () => {
    expect(
      codeOf(() =>
        planIntegrationUpdate({ bot_token: "xoxb-1", channels: [{ name: "#a", mention_on: ["urgent"] }] }, undefined),
      ),
    ).toBe("validation_error");
  });
});
