import { matchesAll } from "./conditions";
import { matchLabels, type UpgradeEvent } from "./events";
import type { IntegrationSettings } from "./settings";

export type FanOut = { channels: string[] } | { channels: []; skipped: "not_connected" | "disabled" | "filtered" };

/** Which channels an event goes to: the integration's conditions, then each channel's own, must all hold. */
export function selectChannels(settings: IntegrationSettings | undefined, event: UpgradeEvent): FanOut {
  if (!settings) return { channels: [], skipped: "not_connected" };
  if (!settings.enabled) return { channels: [], skipped: "disabled" };
  const labels = matchLabels(event);
  if (!matchesAll(settings.conditions, labels)) return { channels: [], skipped: "filtered" };
  const channels = settings.channels.filter((c) => matchesAll(c.conditions, labels)).map((c) => c.name);
  return channels.length ? { channels } : { channels: [], skipped: "filtered" };
}
