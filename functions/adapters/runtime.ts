import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { KMSClient } from "@aws-sdk/client-kms";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { CredentialCipher } from "../core/ports";
import type { Config } from "./config";
import { DynamoStore } from "./dynamo-store";
import { EnvelopeCipher } from "./envelope-cipher";
import { KmsKeyProvider } from "./kms-key-provider";
import { LocalKeyProvider } from "./local-key-provider";
import { logger } from "./observability";
import { HttpSlackSender } from "./slack-sender";

/** Adapter factories; each function builds only what it uses, once per container. */
export const storeFrom = (config: Config) =>
  new DynamoStore(
    new DynamoDBClient(config.DYNAMODB_ENDPOINT ? { endpoint: config.DYNAMODB_ENDPOINT } : {}),
    config.TABLE_NAME,
    { retentionDays: config.NOTIFICATION_RETENTION_DAYS, warn: (message, fields) => logger.warn(message, fields) },
  );

export const sqsFrom = (config: Config) => new SQSClient(config.SQS_ENDPOINT ? { endpoint: config.SQS_ENDPOINT } : {});

export function cipherFrom(config: Config): CredentialCipher {
  if (config.KMS_KEY_ID) return new EnvelopeCipher(new KmsKeyProvider(new KMSClient({}), config.KMS_KEY_ID));
  if (config.LOCAL_MASTER_KEY_FILE) return new EnvelopeCipher(new LocalKeyProvider(config.LOCAL_MASTER_KEY_FILE));
  throw new Error("Invalid configuration: set KMS_KEY_ID (AWS) or LOCAL_MASTER_KEY_FILE (local runs)");
}

export const senderFrom = (config: Config) =>
  new HttpSlackSender({
    apiUrl: config.SLACK_API_URL,
    webhookOrigin: config.SLACK_WEBHOOK_ORIGIN,
    timeoutMs: config.SLACK_TIMEOUT_MS,
  });
