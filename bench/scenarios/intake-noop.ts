/**
 * intake_noop_events_per_s: how fast the worker answers deliveries it has already applied (the
 * relay re-sends after a timeout or a relist). One 500-pod batch is applied once, then the very
 * same body is posted again and again; every result must be `unchanged`.
 */
import { added, benchPods, deleted } from "../lib/pods";
import { median } from "../lib/percentiles";
import { metric, type Metric } from "../lib/results";
import type { BenchContext, Scenario } from "../lib/scenario";
import { pool, sleep } from "../lib/wait";
import type { ClusterClient, WatchEvent } from "../lib/cluster";

const BATCH = 500;
const WARMUP = 3;
const REPEATS = 20;
const CONCURRENCY = 4;

export const intakeNoop: Scenario = {
  name: "intake-noop",
  owns: (key) => key.startsWith("intake_noop_"),
  async run(ctx: BenchContext): Promise<Metric[]> {
    await ctx.emulator.configure({ latencyMs: 0, bootMs: 0, rateLimits: false });
    const cluster = ctx.newCluster("noop");
    await cluster.prewarm();
    const pods = benchPods(BATCH);
    const body = JSON.stringify({ events: pods.map(added) });

    const first = await cluster.postEventsBody(body);
    const notApplied = first.filter((r) => r.outcome !== "applied");
    if (notApplied.length) throw new Error(`first delivery: ${notApplied.length} events not applied, e.g. ${JSON.stringify(notApplied[0])}`);
    // The first convergence round (one step per pod, each finding the create budget spent and
    // scheduling itself for later) runs right after the apply; let it finish. Afterwards the
    // worker's own create budget lets one machine per second through in the background.
    await sleep(2_000);

    const deliver = async () => {
      const t0 = performance.now();
      const results = await cluster.postEventsBody(body);
      const ms = performance.now() - t0;
      const changed = results.filter((r) => r.outcome !== "unchanged");
      if (results.length !== BATCH || changed.length) {
        throw new Error(`a repeated delivery was not a no-op: ${results.length} results, ${changed.length} not unchanged, e.g. ${JSON.stringify(changed[0])}`);
      }
      return ms;
    };
    for (let i = 0; i < WARMUP; i++) await deliver();

    const t0 = performance.now();
    const sequential: number[] = [];
    for (let i = 0; i < REPEATS; i++) sequential.push(await deliver());
    const sequentialS = (performance.now() - t0) / 1000;

    const t1 = performance.now();
    await pool(REPEATS, CONCURRENCY, deliver);
    const concurrentS = (performance.now() - t1) / 1000;

    await cleanUp(ctx, cluster, pods.map(deleted));
    return [
      metric("intake_noop_events_per_s", (REPEATS * BATCH) / sequentialS, "events/s", `${REPEATS} sequential re-deliveries of one ${BATCH}-event batch, all unchanged`),
      metric("intake_noop_events_per_s_c4", (REPEATS * BATCH) / concurrentS, "events/s", `the same, ${CONCURRENCY} deliveries in flight`),
      metric("intake_noop_batch_p50_ms", median(sequential), "ms", `one ${BATCH}-event no-op POST, end to end`),
    ];
  },
};

/** Deletes the pods so the cluster's background creates stop before the next scenario measures anything. */
async function cleanUp(ctx: BenchContext, cluster: ClusterClient, events: WatchEvent[]): Promise<void> {
  await cluster.postEvents(events);
  await ctx.emulator.waitQuiet(2_000);
}
