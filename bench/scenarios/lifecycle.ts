/**
 * mutating_calls_per_pod_lifecycle: Machines API calls that change something (any method but
 * GET) per pod, over create -> Running -> DELETED event -> pod gone (404). The cluster is
 * pre-warmed first, so the app's creation is not counted. Fly's rate limits are on: a 429
 * would show as an extra call.
 */
import { countCalls, describeCalls, diffCalls, isMutating, isV1 } from "../lib/stats";
import { PhaseTracker } from "../lib/phases";
import { added, benchPods, deleted } from "../lib/pods";
import { metric, type Metric } from "../lib/results";
import type { BenchContext, Scenario } from "../lib/scenario";
import { poll } from "../lib/wait";

const PODS = 20;

export const lifecycle: Scenario = {
  name: "lifecycle",
  owns: (key) => key.endsWith("_per_pod_lifecycle") || key.startsWith("lifecycle_"),
  async run(ctx: BenchContext): Promise<Metric[]> {
    await ctx.emulator.configure({ latencyMs: 0, bootMs: 0, rateLimits: true });
    const cluster = ctx.newCluster("life");
    await cluster.prewarm();
    await ctx.emulator.waitQuiet(1_000);
    const before = await ctx.emulator.stats();

    const pods = benchPods(PODS);
    const uids = pods.map((p) => p.metadata.uid);
    await cluster.postEvents(pods.map(added));
    const tracker = new PhaseTracker(cluster);
    await tracker.until(() => tracker.count("Running", uids) === PODS, {
      timeoutMs: 120_000,
      describe: () => `${tracker.count("Running", uids)}/${PODS} pods Running`,
    });
    await cluster.postEvents(pods.map(deleted));
    for (const uid of uids) {
      await poll(`pod ${uid} to be gone`, async () => ((await cluster.pod(uid)) === undefined ? true : undefined), { everyMs: 50, timeoutMs: 60_000 });
    }
    await ctx.emulator.waitQuiet(1_000);
    const delta = diffCalls(before, await ctx.emulator.stats());

    const leftover = (await ctx.emulator.machines(cluster.app)).filter((m) => m.state !== "destroyed");
    if (leftover.length) throw new Error(`${leftover.length} machines still exist after every pod is gone`);
    ctx.log(`lifecycle: Machines API calls for ${PODS} pods: ${describeCalls(delta)}`);
    const mutating = countCalls(delta, (route) => isMutating(route));
    const all = countCalls(delta, (route) => isV1(route));
    return [
      metric("mutating_calls_per_pod_lifecycle", mutating / PODS, "calls", `non-GET Machines API calls per pod; ${PODS} pods, rate limits on`),
      metric("api_calls_per_pod_lifecycle", all / PODS, "calls", "every Machines API call (list, get, wait included) per pod"),
      metric("lifecycle_429s", countCalls(delta, (_r, status) => status === 429), "calls", "429 answers during those lifecycles"),
    ];
  },
};
