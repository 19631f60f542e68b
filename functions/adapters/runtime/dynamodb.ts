import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { type FunctionName, hooked } from "../client-hooks";
import type { Config } from "../config";
import { DynamoStore } from "../dynamo-store";

/** The table, for every function; one client per container. */
export const storeFrom = (config: Config, fn: FunctionName) =>
  new DynamoStore(
    hooked("dynamodb", new DynamoDBClient(config.DYNAMODB_ENDPOINT ? { endpoint: config.DYNAMODB_ENDPOINT } : {}), fn),
    config.TABLE_NAME,
    config.NOTIFICATION_RETENTION_DAYS,
  );
