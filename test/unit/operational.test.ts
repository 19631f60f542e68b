import { describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/adapters/config";
import {
  API,
  BACKOFF_MS,
  DELIVERY,
  MAX_ATTEMPTS,
  PIPE,
  receivesNeeded,
  THREAD_STEPS,
  SLACK_TIMEOUT_MS_DEFAULT,
} from "../../functions/core/operational";

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** The numbers in functions/core/operational.ts depend on each other; these are the dependencies, stated once. */
describe("operational numbers", () => {
  it("the retry policy has one wait between each two attempts", () => {
    expect(BACKOFF_MS).toHaveLength(MAX_ATTEMPTS - 1);
  });

  it("the backoffs plus the safety margin fit in the delivery function's timeout", () => {
    expect(sum(BACKOFF_MS) + DELIVERY.safetyMarginMs).toBeLessThan(DELIVERY.timeoutSeconds * 1000);
  });

  it("every attempt (Slack's timeout each) and every backoff fit in the delivery function's timeout with margin", () => {
    const worst = MAX_ATTEMPTS * SLACK_TIMEOUT_MS_DEFAULT + sum(BACKOFF_MS) + DELIVERY.safetyMarginMs;
    expect(worst).toBeLessThanOrEqual(DELIVERY.timeoutSeconds * 1000);
  });

  it("the queue's visibility timeout is at least six times the function timeout (AWS's guidance for SQS sources)", () => {
    expect(DELIVERY.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(6 * DELIVERY.timeoutSeconds);
  });

  it("the receive count exceeds what the attempts and the group skips can use, so SQS never dead-letters a live one", () => {
    expect(receivesNeeded()).toBe(THREAD_STEPS * (3 * MAX_ATTEMPTS + MAX_ATTEMPTS * (DELIVERY.batchSize - 1)));
    expect(DELIVERY.maxReceiveCount).toBeGreaterThan(receivesNeeded());
  });

  it("the API waits for the test message longer than its backoffs take, and answers within its own timeout", () => {
    expect(API.testWaitMs).toBeGreaterThan(sum(BACKOFF_MS) + 2 * API.testPollMaxMs);
    expect(API.testWaitMs + API.testPollMaxMs).toBeLessThan(API.timeoutSeconds * 1000 - 5_000);
  });

  it("a wait slept inside an invocation is shorter than every backoff and leaves the margin intact", () => {
    expect(DELIVERY.maxInlineWaitMs).toBeLessThan(Math.min(...BACKOFF_MS));
    expect(DELIVERY.maxInlineWaitMs).toBeLessThan(DELIVERY.safetyMarginMs);
  });

  it("batch sizes are within what SQS FIFO sources and pipes allow", () => {
    expect(DELIVERY.batchSize).toBeLessThanOrEqual(10);
    expect(PIPE.batchSize).toBeGreaterThanOrEqual(1);
  });

  it("the configured default Slack timeout is the one the invariants use", () => {
    expect(loadConfig({ TABLE_NAME: "t" }).SLACK_TIMEOUT_MS).toBe(SLACK_TIMEOUT_MS_DEFAULT);
  });
});
