import type { Condition } from "./conditions";
import type { Severity } from "./severity";

/** The integration's settings as stored, and the defaults of fields added after the first records were written. */

export type Method = "bot_token" | "user_token" | "webhook";
/** Who is pinged: a user (U…/W…), a user group (S…), `here` or `channel`. */
export type Mention = string;
export interface ChannelConfig {
  name: string;
  conditions: Condition[];
  /** Pinged in the top-level text when the event's severity is in mention_on. */
  mentions: Mention[];
  mention_on: Severity[];
}
/** What a workspace has configured, without the credential. */
export interface IntegrationSettings {
  method: Method;
  channels: ChannelConfig[];
  enabled: boolean;
  conditions: Condition[];
  /** One Slack thread per upgrade (contract section 5); always false for webhooks. */
  threads: boolean;
}

export const DEFAULT_MENTION_ON: Severity[] = ["critical"];

/** Settings stored before threads and mentions existed read as their defaults. */
export function withSettingDefaults<T extends IntegrationSettings>(stored: T): T {
  return {
    ...stored,
    threads: stored.method !== "webhook" && (stored.threads ?? true),
    channels: stored.channels.map((c) => ({
      ...c,
      mentions: c.mentions ?? [],
      mention_on: c.mention_on ?? DEFAULT_MENTION_ON,
    })),
  };
}
