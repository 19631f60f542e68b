import { setTimeout as sleep } from "node:timers/promises";
import { loadConfig } from "../adapters/config";
import { cipherFrom, senderFrom, storeFrom } from "../adapters/runtime";
import { makeApi } from "./app";

const config = loadConfig();

/** API Gateway HTTP API (payload v2) entry point for every route of the contract. */
export const handler = makeApi({
  store: storeFrom(config),
  cipher: cipherFrom(config),
  sender: senderFrom(config),
  dashboardUrl: config.DASHBOARD_URL,
  sleep: (ms) => sleep(ms),
});
