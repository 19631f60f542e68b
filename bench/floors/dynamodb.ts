// The floor under every function's cold start: DynamoDB's client and document client alone, bundled like a function
// (bench/bundles.ts). Every function reads the table, so none can start faster than this.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

export const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
