import type { APIGatewayRequestAuthorizerEventV2 } from "aws-lambda";
import { loadConfig } from "../adapters/config";
import { storeFrom } from "../adapters/runtime";
import { resolveToken } from "./authorize";

const store = storeFrom(loadConfig());

/** HTTP API Lambda authorizer (simple responses): always lets the request through, saying who the caller is. */
export const handler = async (event: APIGatewayRequestAuthorizerEventV2) => ({
  isAuthorized: true,
  context: await resolveToken(store, event.headers?.authorization),
});
