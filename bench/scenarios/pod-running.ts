/**
 * pod_running_p50_ms vs direct_p50_ms: what machinelet adds on the way from "pod event" to
 * "running", against a client that just creates the machine and waits for it. Emulator at
 * 100 ms per call, instant boot, Fly's rate limits on; every sample (worker or direct) gets an
 * app of its own, made beforehand, and worker and direct samples alternate.
 *
 * "Reports Running" is seen as the relay sees it: through the status feed's long poll, already
 * open when the event is posted (the direct client's `wait` is a long poll too). The same is
 * also measured by polling `GET /pods/{uid}` every 10 ms, in samples of its own (a poll would
 * load the object the feed samples measure), alternating with the feed samples.
 */
import type { ClusterClient } from "../lib/cluster";
import { busyMs, callsOfApp } from "../lib/intervals";
import { PhaseTracker } from "../lib/phases";
import { added, benchPod, type BenchPod } from "../lib/pods";
import { median } from "../lib/percentiles";
import { metric, type Metric } from "../lib/results";
import type { BenchContext, Scenario } from "../lib/scenario";
import { retire } from "../lib/retire";
import { poll } from "../lib/wait";

const SAMPLES = 20;
const LATENCY_MS = 100;

export const podRunning: Scenario = {
  name: "pod-running",
  owns: (key) => key.startsWith("pod_running_") || key.startsWith("direct_") || key === "overhead_ratio",
  async run(ctx: BenchContext): Promise<Metric[]> {
    await ctx.emulator.configure({ latencyMs: 0, bootMs: 0, rateLimits: false });
    const clusters = Array.from({ length: 2 * SAMPLES }, () => ctx.newCluster("run"));
    for (const c of clusters) await c.prewarm();
    const directApps = clusters.slice(0, SAMPLES).map((c) => `direct-${c.name}`);
    for (const app of directApps) await ctx.fly.createApp(app, ctx.emulator.org);
    await ctx.emulator.configure({ latencyMs: LATENCY_MS, bootMs: 0, rateLimits: true });

    const viaWorker: WorkerSample[] = [];
    const polled: WorkerSample[] = [];
    const direct: DirectSample[] = [];
    await ctx.profile("pod-running", async () => {
      for (let i = 0; i < SAMPLES; i++) {
        for (const [cluster, into, seen] of [[clusters[2 * i]!, viaWorker, "feed"], [clusters[2 * i + 1]!, polled, "poll"]] as const) {
          const sample = await workerSample(ctx, cluster, seen);
          into.push(sample);
          await retire(cluster, [sample.pod]);
        }
        direct.push(await directSample(ctx, directApps[i]!));
      }
    });

    const podP50 = median(viaWorker.map((s) => s.ms));
    const polledP50 = median(polled.map((s) => s.ms));
    const directP50 = median(direct.map((s) => s.ms));
    const setting = `emulator latency ${LATENCY_MS} ms/call, boot 0, rate limits on; ${SAMPLES} samples`;
    return [
      metric("pod_running_p50_ms", podP50, "ms", `event POST -> the status feed (long poll, as the relay) reports Running; ${setting}`),
      metric("pod_running_polled_p50_ms", polledP50, "ms", `event POST -> GET /pods/{uid}, polled every 10 ms, shows Running; ${SAMPLES} samples of their own`),
      metric("direct_p50_ms", directP50, "ms", "bare createMachine + wait(started) from Node, same settings"),
      metric("overhead_ratio", podP50 / directP50, "x", "pod_running_p50_ms / direct_p50_ms"),
      metric("overhead_ratio_polled", polledP50 / directP50, "x", "pod_running_polled_p50_ms / direct_p50_ms"),
      metric("pod_running_api_calls", median(viaWorker.map((s) => s.calls)), "calls", "Machines API calls the worker made per pod until Running (median); direct makes 2"),
      metric("pod_running_in_api_p50_ms", median(viaWorker.map((s) => s.apiMs)), "ms", "of pod_running: time with a Machines API call open"),
      metric("pod_running_before_create_p50_ms", median(viaWorker.map((s) => s.beforeMs)), "ms", "of pod_running: event POST -> create call reaches the API"),
      metric("pod_running_after_api_p50_ms", median(viaWorker.map((s) => s.afterMs)), "ms", "of pod_running: last API answer -> the feed reports Running"),
      metric("pod_running_polled_after_api_p50_ms", median(polled.map((s) => s.afterMs)), "ms", "of pod_running_polled: last API answer -> the poll sees Running"),
      metric("pod_running_between_calls_p50_ms", median(viaWorker.map((s) => s.betweenMs)), "ms", "of pod_running: first call -> last answer with no call open (the worker between its calls)"),
      metric("direct_in_api_p50_ms", median(direct.map((s) => s.apiMs)), "ms", "of direct: time with a Machines API call open"),
    ];
  },
};

interface WorkerSample {
  pod: BenchPod;
  ms: number;
  calls: number;
  apiMs: number;
  beforeMs: number;
  afterMs: number;
  betweenMs: number;
}

/** One pod from event to Running, seen through the status feed (`feed`) or by polling its view (`poll`). */
async function workerSample(ctx: BenchContext, cluster: ClusterClient, seen: "feed" | "poll"): Promise<WorkerSample> {
  const pod = benchPod("p");
  const uid = pod.metadata.uid;
  const feed = new PhaseTracker(cluster);
  if (seen === "feed") await feed.pull(0); // the relay's position: the end of the feed
  const stop = ctx.emulator.record();
  const t0 = performance.now();
  const running =
    seen === "feed"
      ? feed.until(() => feed.count("Running", [uid]) === 1, { timeoutMs: 30_000, describe: () => `pod ${uid} not Running in the feed` })
      : undefined;
  const [result] = await cluster.postEvents([added(pod)]);
  if (result?.outcome !== "applied") throw new Error(`event not applied: ${JSON.stringify(result)}`);
  await (running ?? poll("the pod to run", async () => ((await cluster.pod(uid))?.status?.phase === "Running" ? true : undefined), { everyMs: 10, timeoutMs: 30_000 }));
  const t1 = performance.now();
  const calls = callsOfApp(stop(), cluster.app);
  if (calls.length === 0) throw new Error(`pod ${pod.metadata.uid} runs without a Machines API call`);
  return {
    pod,
    ms: t1 - t0,
    calls: calls.length,
    apiMs: busyMs(calls),
    beforeMs: Math.min(...calls.map((c) => c.start)) - t0,
    afterMs: t1 - Math.max(...calls.map((c) => c.end)),
    betweenMs: Math.max(...calls.map((c) => c.end)) - Math.min(...calls.map((c) => c.start)) - busyMs(calls),
  };
}

interface DirectSample {
  ms: number;
  apiMs: number;
}

async function directSample(ctx: BenchContext, app: string): Promise<DirectSample> {
  const stop = ctx.emulator.record();
  const t0 = performance.now();
  const m = await ctx.fly.createMachine(app, { config: { image: "nginx:1.27" } });
  await ctx.fly.waitMachine(app, m.id, { states: ["started"], timeoutS: 30 });
  const ms = performance.now() - t0;
  return { ms, apiMs: busyMs(callsOfApp(stop(), app)) };
}
