import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FunctionName, registerClientHooks } from "../../functions/adapters/client-hooks";
import type { KeyProvider } from "../../functions/core/ports";
import { startedEvent } from "../fixtures/events";
import { startTestStack, type TestStack } from "../fixtures/test-stack";

/** What reached the key provider (KMS on AWS, the key file here), by function: below the delivery's cache. */
const calls: { fn: FunctionName; op: "generate" | "decrypt" }[] = [];
const count = (fn: FunctionName, op: "generate" | "decrypt") => calls.filter((c) => c.fn === fn && c.op === op).length;

let t: TestStack;
let unregister: () => void;
beforeAll(async () => {
  // Registered before the stack imports the handler modules, which build their clients at import.
  unregister = registerClientHooks({
    keyProvider: (inner: KeyProvider, fn): KeyProvider => ({
      generateDataKey: (context) => {
        calls.push({ fn, op: "generate" });
        return inner.generateDataKey(context);
      },
      decryptDataKey: (wrapped, context) => {
        calls.push({ fn, op: "decrypt" });
        return inner.decryptDataKey(wrapped, context);
      },
    }),
  });
  t = await startTestStack();
});
afterAll(async () => {
  await t.stop();
  unregister();
});

describe("data-key cache in the running stack", () => {
  it("unwraps a workspace's data key once for many deliveries, test messages included; the API never unwraps", async () => {
    const w = await t.workspace();
    await w.connect({ bot_token: "xoxb-cache-e2e-1", channels: ["#k-1", "#k-2"] });
    expect(count("api", "generate")).toBe(1);

    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await w.post(startedEvent());
      expect(res.status).toBe(202);
      ids.push(...res.body.notifications.map((n) => n.id));
    }
    for (const id of ids) expect((await w.settled(id)).status).toBe("delivered");
    expect(ids).toHaveLength(6);
    expect(count("delivery", "decrypt")).toBe(1);

    // The test message is delivered like any notification: through the delivery function and its cache.
    for (let i = 0; i < 2; i++) {
      const test = await t.call("POST", `${w.base}/integrations/slack/test`, { token: w.token });
      expect(test.status).toBe(200);
      expect((test.body as { results: { status: string }[] }).results.map((r) => r.status)).toEqual([
        "delivered",
        "delivered",
      ]);
    }
    expect(count("delivery", "decrypt")).toBe(1);
    expect(count("api", "decrypt")).toBe(0);

    // A reconnect seals the new credential with a new data key: the next delivery unwraps that one.
    await w.connect({ bot_token: "xoxb-cache-e2e-2", channels: ["#k-1"] });
    const res = await w.post(startedEvent());
    expect((await w.settled(res.body.notifications[0]?.id as string)).status).toBe("delivered");
    expect(count("delivery", "decrypt")).toBe(2);
    expect(t.slack.requests.at(-1)?.authorization).toBe("Bearer xoxb-cache-e2e-2");
  });
});
