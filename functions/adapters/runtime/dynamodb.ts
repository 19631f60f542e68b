import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { type FunctionName, hooked } from "../client-hooks";
import type { Config } from "../config";
import { DynamoStore } from "../dynamo-store";
import { logger } from "../observability";

/** The table, for every function; one client per container. */
export const storeFrom = (config: Config, fn: FunctionName) =>
  new DynamoStore(
    hooked("dynamodb", new DynamoDBClient(config.DYNAMODB_ENDPOINT ? { endpoint: config.DYNAMODB_ENDPOINT } : {}), fn),
    config.TABLE_NAME,
    { retentionDays: config.NOTIFICATION_RETENTION_DAYS, warn: (message, fields) => logger.warn(message, fields) },
  );
