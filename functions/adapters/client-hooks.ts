// Type imports only: this module is in every bundle and must not pull a client in.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { KMSClient } from "@aws-sdk/client-kms";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { KeyProvider } from "../core/ports";

/** The Lambda entry points: which one built a client. */
export type FunctionName = "api" | "authorizer" | "delivery";

/**
 * What a measuring harness (the benchmark's cost model) may add to the clients the handler modules build at import:
 * SDK middleware on a client, a wrapper around the key provider. Hooks are registered before the handler modules are
 * imported; on Lambda none are, and every factory hands back exactly what it built.
 */
export interface ClientHooks {
  dynamodb?(client: DynamoDBClient, fn: FunctionName): void;
  sqs?(client: SQSClient, fn: FunctionName): void;
  kms?(client: KMSClient, fn: FunctionName): void;
  /** Sees every data-key request that reaches KMS (or the local key file standing in for it), below any cache. */
  keyProvider?(provider: KeyProvider, fn: FunctionName): KeyProvider;
}

const registered: ClientHooks[] = [];

/** Applies to clients built from now on; returns the unregister function. */
export function registerClientHooks(hooks: ClientHooks): () => void {
  registered.push(hooks);
  return () => {
    const i = registered.indexOf(hooks);
    if (i >= 0) registered.splice(i, 1);
  };
}

type Clients = { dynamodb: DynamoDBClient; sqs: SQSClient; kms: KMSClient };

/** The client, after every registered hook for its kind has seen it. */
export function hooked<K extends keyof Clients>(kind: K, client: Clients[K], fn: FunctionName): Clients[K] {
  for (const h of registered) (h[kind] as ((c: Clients[K], f: FunctionName) => void) | undefined)?.(client, fn);
  return client;
}

export function hookedKeyProvider(provider: KeyProvider, fn: FunctionName): KeyProvider {
  return registered.reduce((p, h) => h.keyProvider?.(p, fn) ?? p, provider);
}
