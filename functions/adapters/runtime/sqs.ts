import { SQSClient } from "@aws-sdk/client-sqs";
import { type FunctionName, hooked } from "../client-hooks";
import type { Config } from "../config";

/** The delivery function's queue client (hand-backs and the dead-letter queue); no other function imports it. */
export const sqsFrom = (config: Config, fn: FunctionName) =>
  hooked("sqs", new SQSClient(config.SQS_ENDPOINT ? { endpoint: config.SQS_ENDPOINT } : {}), fn);
