/**
 * What the functions' bundles load in place of the SDK's default credential chain (`@aws-sdk/credential-provider-node`,
 * aliased to this file in lib/bundling.ts; every SDK client's runtime config imports `defaultProvider` from there).
 * Lambda hands each function its role's credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN), the first place the chain looks, so on Lambda the chain always ends there; its other providers
 * (SSO, shared INI files, a credential process, web identity, container and instance metadata) and the clients they
 * bring are code a function never runs and parses at every cold start (aws-sdk-js-v3 issue 5516). Run from source
 * (`npm start`, the tests), nothing is aliased and the SDK's own chain is used.
 */
export { fromEnv as defaultProvider } from "@aws-sdk/credential-provider-env";
