/**
 * `npx tsx bench/listing.ts [records…]`: what one notification-log request costs on DynamoDB Local, unfiltered and
 * with a filter that matches only the 5 oldest records (the worst case: everything newer is read and thrown away),
 * with the per-request budget (LIST_BUDGET) and without one (how the listing worked before it had a budget). Seeds
 * one workspace per size, then times the store call the API makes, the two variants interleaved so both see the same
 * machine load: an unfiltered first page (median of 5) and 5 walks of the filtered listing to its end, following
 * next_cursor (per request: median and max).
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoStore, LIST_BUDGET } from "../functions/adapters/dynamo-store";
import { newSortableId } from "../functions/core/identity";
import type { NotificationRecord } from "../functions/core/ports";
import { newLocalCredentials } from "../local/data-dir";
import { emulatorClientConfig, freePort, startDynamoDbLocal } from "../local/emulators";
import { ensureTable } from "../local/resources";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

async function seed(store: DynamoStore, ws: string, count: number, failed: number) {
  const at = new Date().toISOString();
  const records: NotificationRecord[] = Array.from({ length: count }, (_, i) => {
    const id = newSortableId("ntf");
    return {
      workspace_id: ws,
      id,
      event_id: `evt-${i}`,
      type: "scan_completed",
      channel: "#bench",
      // The oldest `failed` records are the only matches of ?status=failed.
      status: i < failed ? "failed" : "delivered",
      attempts: 1,
      ...(i < failed ? { error: "channel_not_found" } : {}),
      created_at: at,
      updated_at: at,
      connection_id: "conn_bench",
      dispatch_id: id,
    };
  });
  for (let i = 0; i < records.length; i += 32)
    await Promise.all(records.slice(i, i + 32).map((r) => store.putNotification(r)));
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const out = await fn();
  return [performance.now() - t0, out];
}

async function main() {
  const sizes = process.argv.slice(2).map(Number).filter(Boolean);
  const credentials = newLocalCredentials();
  const dynamodb = await startDynamoDbLocal({ port: await freePort(), credentials });
  const client = new DynamoDBClient(emulatorClientConfig(dynamodb.endpoint, credentials));
  const table = `bench-listing-${Date.now().toString(36)}`;
  await ensureTable(client, table);
  const store = new DynamoStore(client, table);
  const variants = {
    [`budget ${LIST_BUDGET.items} records`]: store,
    unbounded: new DynamoStore(client, table, {
      listBudget: { items: Number.POSITIVE_INFINITY, pages: Number.POSITIVE_INFINITY },
    }),
  };
  type Stats = { unfiltered: number[]; perRequest: number[]; walks: number[]; requests: number; found: number };
  console.log(
    "| records | listing | unfiltered first page (ms) | ?status=failed, per request (ms, median / max) | requests to the end | matches | whole walk (ms, median) |",
  );
  console.log("|---|---|---|---|---|---|---|");
  try {
    for (const size of sizes.length ? sizes : [1200, 12000]) {
      const ws = `ws_bench${size}`;
      await seed(store, ws, size, 5);
      const stats: Record<string, Stats> = {};
      for (const name of Object.keys(variants))
        stats[name] = { unfiltered: [], perRequest: [], walks: [], requests: 0, found: 0 };
      // A warm-up walk each, then 5 rounds alternating between the two.
      for (let round = 0; round < 6; round++) {
        for (const [name, s] of Object.entries(variants)) {
          const st = stats[name] as Stats;
          const [ms] = await timed(() => s.listNotifications(ws, { limit: 50 }));
          let cursor: string | undefined;
          let requests = 0;
          let found = 0;
          const perRequest: number[] = [];
          const t0 = performance.now();
          do {
            const [rms, page] = await timed(() => s.listNotifications(ws, { status: "failed", limit: 50, cursor }));
            perRequest.push(rms);
            requests++;
            found += page.items.length;
            cursor = page.next_cursor ?? undefined;
          } while (cursor);
          if (round === 0) continue;
          st.unfiltered.push(ms);
          st.perRequest.push(...perRequest);
          st.walks.push(performance.now() - t0);
          st.requests = requests;
          st.found = found;
        }
      }
      for (const [name, st] of Object.entries(stats))
        console.log(
          `| ${size} | ${name} | ${median(st.unfiltered).toFixed(1)} | ${median(st.perRequest).toFixed(1)} / ${Math.max(...st.perRequest).toFixed(1)} | ${st.requests} | ${st.found} | ${median(st.walks).toFixed(0)} |`,
        );
    }
  } finally {
    client.destroy();
    await dynamodb.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
