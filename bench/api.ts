import type { startStackWithFakeSlack } from "../test/fixtures/stack-with-fake-slack";

type Stack = Awaited<ReturnType<typeof startStackWithFakeSlack>>["stack"];

/**
 * A workspace on a bench's local stack, connected with a bot token to `channels`, each taking the events whose
 * `shard` label is its index; `call` speaks the API with its token. Threads are off unless asked for: most figures
 * are of one post per event.
 */
export async function benchWorkspace(stack: Stack, channels: string[], opts: { threads?: boolean } = {}) {
  const request = async (method: string, path: string, token: string, body: unknown) => {
    const res = await fetch(`${stack.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return (await res.json()) as Record<string, unknown>;
  };
  const ws = await request("POST", "/v1/workspaces", stack.adminToken, { name: "bench" });
  if (typeof ws.token !== "string") throw new Error(`workspace not created: ${JSON.stringify(ws)}`);
  const token = ws.token;
  const base = `/v1/workspaces/${ws.workspace_id}`;
  await request("PUT", `${base}/integrations/slack`, token, {
    bot_token: "xoxb-bench-1",
    threads: opts.threads ?? false,
    channels: channels.map((name, i) => ({
      name,
      conditions: [{ key: "shard", operator: "In", values: [String(i)] }],
    })),
  });
  return { base, call: (method: string, path: string, body: unknown) => request(method, path, token, body) };
}
