import { setTimeout as sleep } from "node:timers/promises";
import { loadConfig } from "../adapters/config";
import { cipherFrom } from "../adapters/runtime/cipher";
import { storeFrom } from "../adapters/runtime/dynamodb";
import { kmsKeyProviderOnFirstUse } from "../adapters/runtime/kms-on-first-use";
import { slackAuthFrom } from "../adapters/runtime/slack-auth";
import { makeApi } from "./app";

const config = loadConfig();

/** API Gateway HTTP API (payload v2) entry point for every route of the contract. */
export const handler = makeApi({
  store: storeFrom(config, "api"),
  // Only connect touches the key: KMS is loaded on its first call, not at every cold start.
  cipher: cipherFrom(config, "api", { kms: kmsKeyProviderOnFirstUse }),
  auth: slackAuthFrom(config),
  dashboardUrl: config.DASHBOARD_URL,
  sleep: (ms) => sleep(ms),
});
