import * as z from "zod";
import { conditionsSchema } from "./conditions";
import { invalid } from "./errors";
import { type ChannelConfig, DEFAULT_MENTION_ON, type IntegrationSettings, type Method } from "./settings";
import { SEVERITIES } from "./severity";
import { LOOKS_LIKE_SECRET, parseOrThrow, unknownFields } from "./validation";

export const MAX_CHANNELS = 20;
export const DEFAULT_CHANNEL = "#general";
/** A channel name (# and lowercase letters, digits, - _ ., at most 80) or a Slack channel ID (C…/G…). */
const CHANNEL = /^(?:#[a-z0-9_.-]{1,80}|[CG][A-Z0-9]{8,20})$/;
const BOT_TOKEN = /^xoxb-[A-Za-z0-9-]{1,250}$/;
const USER_TOKEN = /^xoxp-[A-Za-z0-9-]{1,250}$/;
const WEBHOOK_PATH = /^\/services\/[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/;
/** The webhook URLs isSlackWebhookUrl accepts, as JSON Schema can state them (the code parses; see there). */
const WEBHOOK_URL_PATTERN = `^https://hooks\\.slack\\.com${WEBHOOK_PATH.source.slice(1)}`;
const CREDENTIAL_HELP = "provide either bot_token or webhook_url (or user_token), exactly one of them";

const MAX_WEBHOOK_URL = 1000;

/**
 * The webhook URL is an SSRF boundary: it is parsed, never prefix-matched, and must already be in canonical form so
 * that no parser disagreement (backslashes, dot segments, user info, `@` tricks, odd case) can point it elsewhere.
 */
export function isSlackWebhookUrl(raw: string): boolean {
  // `?` and `#` never: a bare one parses to an empty search/hash, so only the raw text shows it is there.
  if (raw.length > MAX_WEBHOOK_URL || /[\s\\?#]/.test(raw) || !URL.canParse(raw)) return false;
  const url = new URL(raw);
  return (
    url.href === raw &&
    url.protocol === "https:" &&
    url.hostname === "hooks.slack.com" &&
    url.username === "" &&
    url.password === "" &&
    url.port === "" &&
    url.search === "" &&
    url.hash === "" &&
    WEBHOOK_PATH.test(url.pathname)
  );
}

export const MAX_MENTIONS = 10;
const mention = z
  .string()
  .regex(/^(?:[UWS][A-Z0-9]{2,20}|here|channel)$/, "a user id (U…/W…), a user group id (S…), here or channel")
  .meta({ description: "A Slack user id (U…/W…), a user-group id (S…), `here` or `channel`" });

// The rules checked in code (channelsOf, credentialOf: each with its own error code) are stated in the schemas as
// JSON Schema keywords, so the OpenAPI document refuses what the API refuses.
const channelName = z
  .string()
  .meta({ description: "A channel name (#upgrades) or a Slack channel ID (C…/G…)", pattern: CHANNEL.source });
const channelEntry = z.union([
  channelName,
  z
    .object({
      name: channelName,
      conditions: conditionsSchema.optional(),
      mentions: z.array(mention).max(MAX_MENTIONS).optional(),
      mention_on: z
        .array(z.enum(SEVERITIES))
        .optional()
        .meta({ description: "The severities that ping the mentions (default critical)" }),
    })
    .strict(),
]);

/** The PUT body; the credential fields are checked first (by credentialOf) so each gets its own error code. */
const notBoth = (a: string, b: string) => ({ not: { required: [a, b] } });
export const integrationBodySchema = z
  .object({
    bot_token: z.string().optional().meta({ description: "A bot token, xoxb-…", pattern: BOT_TOKEN.source }),
    user_token: z.string().optional().meta({ description: "A user token, xoxp-…", pattern: USER_TOKEN.source }),
    webhook_url: z.string().optional().meta({
      description: "An incoming webhook, https://hooks.slack.com/services/…",
      pattern: WEBHOOK_URL_PATTERN,
      maxLength: MAX_WEBHOOK_URL,
    }),
    channel: channelName.optional(),
    channels: z.array(channelEntry).max(MAX_CHANNELS).optional(),
    enabled: z.boolean().optional().meta({ description: "Receive notifications (default true)" }),
    conditions: conditionsSchema.optional(),
    threads: z.boolean().optional().meta({ description: "One Slack thread per upgrade (default true; tokens only)" }),
  })
  // A field it does not know is a mistake to say (a typo would otherwise keep the stored value silently).
  .strict()
  .meta({
    allOf: [
      notBoth("bot_token", "user_token"),
      notBoth("bot_token", "webhook_url"),
      notBoth("user_token", "webhook_url"),
      notBoth("channel", "channels"),
    ],
  });

/** A validated PUT: the new credential (if any) and the complete settings after merging with what was stored. */
export interface IntegrationUpdate {
  credential?: { method: Method; secret: string };
  settings: IntegrationSettings;
}

function credentialOf(body: Record<string, unknown>): { method: Method; secret: string } | undefined {
  const given = (["bot_token", "user_token", "webhook_url"] as const).filter((k) => body[k] !== undefined);
  if (given.length > 1) throw invalid("invalid_credentials", `Several credentials given: ${CREDENTIAL_HELP}.`);
  const key = given[0];
  if (key === undefined) return undefined;
  const value = body[key];
  const secret = typeof value === "string" ? value : "";
  if (key === "bot_token") {
    if (!BOT_TOKEN.test(secret))
      throw invalid("invalid_bot_token", "bot_token must start with xoxb- and hold only letters, digits and dashes.");
    return { method: "bot_token", secret };
  }
  if (key === "user_token") {
    if (!USER_TOKEN.test(secret))
      throw invalid("invalid_user_token", "user_token must start with xoxp- and hold only letters, digits and dashes.");
    return { method: "user_token", secret };
  }
  if (!isSlackWebhookUrl(secret)) {
    throw invalid(
      "invalid_webhook_url",
      "webhook_url must be https://hooks.slack.com/services/… with no user info, port, query or fragment.",
    );
  }
  return { method: "webhook", secret };
}

const newChannel = (name: string): ChannelConfig => ({
  name,
  conditions: [],
  mentions: [],
  mention_on: DEFAULT_MENTION_ON,
});

function channelsOf(body: z.infer<typeof integrationBodySchema>): ChannelConfig[] | undefined {
  if (body.channel !== undefined && body.channels !== undefined) {
    throw invalid("validation_error", "Give channel or channels, not both.", [
      { path: "channels", message: "channel and channels are mutually exclusive" },
    ]);
  }
  const entries = body.channels ?? (body.channel !== undefined ? [body.channel] : undefined);
  if (entries === undefined) return undefined;
  const channels = entries.map((e): ChannelConfig =>
    typeof e === "string"
      ? newChannel(e)
      : {
          name: e.name,
          conditions: e.conditions ?? [],
          mentions: [...new Set(e.mentions ?? [])],
          mention_on: [...new Set(e.mention_on ?? DEFAULT_MENTION_ON)],
        },
  );
  const seen = new Set<string>();
  const pathOf = (i: number) => (body.channels ? `channels.${i}` : "channel");
  channels.forEach((c, i) => {
    if (!CHANNEL.test(c.name)) {
      // The value is never echoed back: a credential pasted into the wrong field (Slack's, or one of our own API
      // tokens) must not come back in an error text. The path names which channel it is.
      const message = LOOKS_LIKE_SECRET.test(c.name)
        ? `${pathOf(i)} looks like a token or webhook URL: a Slack credential goes in bot_token, user_token or webhook_url.`
        : `${pathOf(i)} is not a valid channel: use # and lowercase letters, digits, - _ . (at most 80), or a channel ID.`;
      throw invalid("invalid_channel", message, [{ path: pathOf(i), message: "invalid channel name" }]);
    }
    if (seen.has(c.name)) {
      throw invalid("invalid_channel", `Channel ${c.name} is listed twice.`, [
        { path: pathOf(i), message: "duplicate channel" },
      ]);
    }
    seen.add(c.name);
  });
  return channels;
}

/** Validates a PUT body against what is stored: a first connect needs exactly one credential; later PUTs change only what they carry. */
export function planIntegrationUpdate(rawBody: unknown, stored: IntegrationSettings | undefined): IntegrationUpdate {
  if (typeof rawBody !== "object" || rawBody === null || Array.isArray(rawBody)) {
    throw invalid("validation_error", "The request body must be a JSON object.", [
      { path: "", message: "expected an object" },
    ]);
  }
  const raw = rawBody as Record<string, unknown>;
  // The specific codes first, so a caller learns the exact thing to fix.
  const credential = credentialOf(raw);
  if (!credential && !stored) {
    // A misspelt credential (bot_tokn) is the likeliest reason: the fields this body has that no request has are named.
    const unknown = unknownFields(integrationBodySchema, raw).filter((d) => d.path);
    const named = unknown.map((d) => d.path).join(", ");
    throw invalid(
      "invalid_credentials",
      `No credential given: ${CREDENTIAL_HELP}.${unknown.length ? ` Not fields of this request: ${named}.` : ""}`,
      unknown.length ? unknown : undefined,
    );
  }
  if (Array.isArray(raw.channels) && raw.channels.length > MAX_CHANNELS) {
    throw invalid("too_many_channels", `At most ${MAX_CHANNELS} channels; ${raw.channels.length} given.`);
  }
  const body = parseOrThrow(integrationBodySchema, raw);
  // No channel at all, now or before (an empty list included), means the product's default: #general.
  const listed = channelsOf(body) ?? stored?.channels ?? [];
  const channels = listed.length ? listed : [newChannel(DEFAULT_CHANNEL)];
  const method = credential?.method ?? (stored as IntegrationSettings).method;
  if (method === "webhook" && channels.length > 1) {
    throw invalid(
      "too_many_channels",
      "A webhook posts to its own channel: give at most one channel with webhook_url.",
    );
  }
  return {
    ...(credential ? { credential } : {}),
    settings: {
      method,
      channels,
      enabled: body.enabled ?? stored?.enabled ?? true,
      conditions: body.conditions ?? stored?.conditions ?? [],
      // A webhook cannot thread: its messages have no ts to reply to or update. Its stored false is not a choice, so a
      // token that replaces it starts from the default.
      threads:
        method !== "webhook" && (body.threads ?? (stored?.method === "webhook" ? undefined : stored?.threads) ?? true),
    },
  };
}

/** The last four characters only; enough to recognise a credential, never enough to use it. */
export const credentialHint = (secret: string) => `…${secret.slice(-4)}`;
