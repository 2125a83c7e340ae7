/**
 * exit_to_status_p50_ms / p99: a machine's main process exits (the emulator's exit control route,
 * as flyd would report it) -> the worker's pod view shows the pod Failed with that exit. One
 * cluster with 100 running pods (restartPolicy Never), emulator at 100 ms per call, Fly's rate
 * limits on, no periodic full pass (RECONCILE_INTERVAL_S 3600): what finds the exits is the exit
 * watch alone. Exits are spaced by random delays so that they land anywhere in the watch interval.
 */
import { randomInt } from "node:crypto";
import { added, benchPods } from "../lib/pods";
import { percentile } from "../lib/percentiles";
import { PhaseTracker } from "../lib/phases";
import { metric, type Metric } from "../lib/results";
import type { BenchContext, Scenario } from "../lib/scenario";
import { retire } from "../lib/retire";
import { poll, sleep } from "../lib/wait";

const PODS = 100;
const SAMPLES = 40;
const LATENCY_MS = 100;

export const exitToStatus: Scenario = {
  name: "exit-to-status",
  owns: (key) => key.startsWith("exit_to_status_"),
  async run(ctx: BenchContext): Promise<Metric[]> {
    await ctx.emulator.configure({ latencyMs: 0, bootMs: 0, rateLimits: true });
    const cluster = ctx.newCluster("exit");
    await cluster.prewarm();
    const pods = benchPods(PODS).map((p) => ({ ...p, spec: { ...p.spec, restartPolicy: "Never" } }));
    const uids = pods.map((p) => p.metadata.uid);
    await cluster.postEvents(pods.map(added));
    const tracker = new PhaseTracker(cluster);
    await tracker.until(() => tracker.count("Running", uids) === PODS, {
      timeoutMs: 300_000,
      describe: () => `${tracker.count("Running", uids)}/${PODS} pods Running`,
      progress: () => ctx.log(`exit-to-status: ${tracker.count("Running", uids)}/${PODS} pods Running`),
    });
    await ctx.emulator.configure({ latencyMs: LATENCY_MS });
    // Not waitQuiet: the exit watch itself lists every 2 s while machines run.
    await sleep(3_000);

    const machineOf = new Map((await ctx.emulator.machines(cluster.app)).map((m) => [m.config.metadata?.machinelet_pod_uid, m.id]));
    const samples: number[] = [];
    for (const uid of uids.slice(0, SAMPLES)) {
      await sleep(randomInt(0, 2_500));
      const t0 = performance.now();
      await ctx.emulator.exit(cluster.app, machineOf.get(uid)!, 1);
      await poll(`pod ${uid} Failed`, async () => ((await cluster.pod(uid))?.status?.phase === "Failed" ? true : undefined), { everyMs: 20, timeoutMs: 60_000 });
      samples.push(performance.now() - t0);
    }
    // The pods still running would keep the exit watch listing, and the scenarios after this one waiting for a quiet emulator.
    await ctx.emulator.configure({ latencyMs: 0 });
    await retire(cluster, pods);
    const setting = `${PODS} running pods, ${SAMPLES} exits, emulator latency ${LATENCY_MS} ms/call, rate limits on, no periodic pass`;
    return [
      metric("exit_to_status_p50_ms", percentile(samples, 50), "ms", `machine exit -> pod Failed in the worker's view (polled every 20 ms); ${setting}`),
      metric("exit_to_status_p99_ms", percentile(samples, 99), "ms", "same samples, 99th percentile (target <= 3000)"),
    ];
  },
};
