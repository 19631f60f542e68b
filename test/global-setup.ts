import type { TestProject } from "vitest/node";
import { writeConsoleModule } from "../console/build";
import { type LocalAwsCredentials, newLocalCredentials } from "../local/data-dir";
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
    awsCredentials: LocalAwsCredentials;
  }
}

let emulators: RunningEmulator[] = [];

/**
 * One DynamoDB Local (in memory) and one SQS emulator for the whole run; each test file uses its own table and
 * queues. One access key id for the run: set in the environment here, which the test processes inherit (clients
 * built from it see the run's tables), and provided for code that takes it explicitly.
 */
export async function setup(project: TestProject) {
  // Once before any test file: the console's module (served by the API function) is then already in place.
  writeConsoleModule();
  const credentials = newLocalCredentials();
  useLocalAwsCredentials(credentials);
  const [dynamodb, sqs] = await Promise.all([
    startDynamoDbLocal({ port: await freePort(), credentials }),
    startSqsEmulator({ port: 0 }),
  ]);
  emulators = [dynamodb, sqs];
  project.provide("dynamodbEndpoint", dynamodb.endpoint);
  project.provide("sqsEndpoint", sqs.endpoint);
  project.provide("awsCredentials", credentials);
}

export async function teardown() {
  await Promise.all(emulators.map((e) => e.stop()));
}
