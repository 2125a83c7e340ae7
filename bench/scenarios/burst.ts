/**
 * burst_<N>_pods_s: N pods posted at once (batches of 500) to one cluster, with Fly's rate limits
 * on (create: 1 req/s per app, burst 3); time until every pod reports Running on the status feed.
 * Fly's limits alone allow it in (N - 3) s: burst_ratio says how close the worker gets.
 */
import { countCalls, describeCalls, diffCalls } from "../lib/stats";
import { PhaseTracker } from "../lib/phases";
import { added, batches, benchPods } from "../lib/pods";
import { metric, type Metric } from "../lib/results";
import type { BenchContext, Scenario } from "../lib/scenario";

const CREATE = "POST /v1/apps/{app_name}/machines";

export const burst: Scenario = {
  name: "burst",
  owns: (key) => key.startsWith("burst_"),
  async run(ctx: BenchContext): Promise<Metric[]> {
    const n = ctx.burstPods;
    await ctx.emulator.configure({ latencyMs: 0, bootMs: 0, rateLimits: true });
    const cluster = ctx.newCluster("burst");
    await cluster.prewarm();
    await ctx.emulator.waitQuiet(1_000);
    const before = await ctx.emulator.stats();
    const boundS = Math.max(0, n - 3);

    const pods = benchPods(n);
    const uids = pods.map((p) => p.metadata.uid);
    const t0 = performance.now();
    for (const batch of batches(pods)) {
      const results = await cluster.postEvents(batch.map(added));
      const bad = results.filter((r) => r.outcome !== "applied");
      if (bad.length) throw new Error(`${bad.length} events not applied, e.g. ${JSON.stringify(bad[0])}`);
    }
    const postedS = (performance.now() - t0) / 1000;
    const tracker = new PhaseTracker(cluster);
    let firstRunningS: number | undefined;
    await tracker.until(
      () => {
        const running = tracker.count("Running", uids);
        if (running > 0) firstRunningS ??= (performance.now() - t0) / 1000;
        return running === n;
      },
      {
        timeoutMs: (3 * boundS + 300) * 1000,
        describe: () => `${tracker.count("Running", uids)}/${n} pods Running`,
        progressEveryMs: 30_000,
        progress: () => {
          void ctx.emulator.stats().then((now) => {
            const d = diffCalls(before, now);
            const elapsed = (performance.now() - t0) / 1000;
            ctx.log(
              `burst: ${Math.round(elapsed)} s, ${tracker.count("Running", uids)}/${n} Running, ` +
                `${countCalls(d, (r, s) => r === CREATE && s === 200)} created, ${countCalls(d, (_r, s) => s === 429)} x 429 (bound ${boundS} s)`,
            );
          });
        },
      },
    );
    const totalS = (performance.now() - t0) / 1000;
    const delta = diffCalls(before, await ctx.emulator.stats());
    ctx.log(`burst: Machines API calls: ${describeCalls(delta)}`);
    const machines = (await ctx.emulator.machines(cluster.app)).filter((m) => m.state !== "destroyed");
    if (machines.length !== n) throw new Error(`expected ${n} machines, the app has ${machines.length}`);

    return [
      metric(`burst_${n}_pods_s`, totalS, "s", `${n} pods posted at once (${Math.ceil(n / 500)} POSTs, ${postedS.toFixed(1)} s) -> all Running; rate limits on, latency 0, boot 0`),
      metric("burst_bound_s", boundS, "s", "what Fly's create limit allows: (N - 3) / (1/s)"),
      metric("burst_ratio", boundS > 0 ? totalS / boundS : 0, "x", "burst time / bound", 4),
      metric("burst_429s", countCalls(delta, (_r, s) => s === 429), "calls", "429 answers the emulator gave during the burst"),
      metric("burst_first_running_s", firstRunningS ?? totalS, "s", "until the first pod reported Running"),
      metric("burst_api_calls_per_pod", countCalls(delta) / n, "calls", "every Machines API call during the burst, per pod"),
      metric("burst_pods", n, "pods", "BENCH_BURST_PODS"),
    ];
  },
};
