import type { TestProject } from "vitest/node";
import {
  freePort,
  type RunningEmulator,
  startDynamoDbLocal,
  startSqsEmulator,
  useLocalAwsCredentials,
} from "../local/emulators";

declare module "vitest" {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    sqsEndpoint: string;
  }
}

let emulators: RunningEmulator[] = [];

/** One DynamoDB Local (in memory) and one SQS emulator for the whole run; each test file uses its own table and queues. */
export async function setup(project: TestProject) {
  useLocalAwsCredentials();
  const [dynamodb, sqs] = await Promise.all([
    startDynamoDbLocal({ port: await freePort() }),
    startSqsEmulator({ port: 0 }),
  ]);
  emulators = [dynamodb, sqs];
  project.provide("dynamodbEndpoint", dynamodb.endpoint);
  project.provide("sqsEndpoint", sqs.endpoint);
}

export async function teardown() {
  await Promise.all(emulators.map((e) => e.stop()));
}
