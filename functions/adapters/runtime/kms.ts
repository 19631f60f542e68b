import { KMSClient } from "@aws-sdk/client-kms";
import { type FunctionName, hooked } from "../client-hooks";
import { KmsKeyProvider } from "../kms-key-provider";
import type { KmsKeyProviderFactory } from "./cipher";

/** KMS with the SDK imported statically: for the delivery function, which opens a credential on every delivery. */
export const kmsKeyProvider: KmsKeyProviderFactory = (keyId: string, fn: FunctionName) =>
  new KmsKeyProvider(hooked("kms", new KMSClient({}), fn), keyId);
