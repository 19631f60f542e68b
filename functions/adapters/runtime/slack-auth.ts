import type { Config } from "../config";
import { logger } from "../observability";
import { HttpSlackAuth } from "../slack-auth";

/** The connect preflight (auth.test): the API function only. */
export const slackAuthFrom = (config: Config) =>
  new HttpSlackAuth({
    apiUrl: config.SLACK_API_URL,
    timeoutMs: config.SLACK_TIMEOUT_MS,
    warn: (message, fields) => logger.warn(message, fields),
  });
