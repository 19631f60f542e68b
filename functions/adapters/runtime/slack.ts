import type { Config } from "../config";
import { HttpSlackSender } from "../slack-sender";

/** Posts to Slack: the API (test message, preflight) and the delivery function. */
export const senderFrom = (config: Config) =>
  new HttpSlackSender({
    apiUrl: config.SLACK_API_URL,
    webhookOrigin: config.SLACK_WEBHOOK_ORIGIN,
    timeoutMs: config.SLACK_TIMEOUT_MS,
  });
