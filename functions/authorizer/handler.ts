import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { APIGatewayRequestAuthorizerEventV2 } from "aws-lambda";
import { loadConfig } from "../adapters/config";
import { logger } from "../adapters/observability";
import { storeFrom } from "../adapters/runtime/dynamodb";
import { resolveToken } from "./authorize";

// DynamoDB only: no KMS, SQS or Slack code in this bundle (test/unit/bundle-imports.test.ts holds it to that).
const store = storeFrom(loadConfig(), "authorizer");

/** HTTP API Lambda authorizer (simple responses): always lets the request through, saying who the caller is. */
export const handler = middy(async (event: APIGatewayRequestAuthorizerEventV2) => ({
  isAuthorized: true,
  context: await resolveToken(store, event.headers?.authorization),
})).use(injectLambdaContext(logger, { resetKeys: true }));
