/**
 * warm_*: `kubectl scale`-like, 0 -> N replicas of one ReplicaSet template, with Fly's rate limits
 * on and Fly-like timings (FLY_TIMINGS: a create pulls the image for 10 s, a boot takes 500 ms):
 * first cold (every pod a create), then scaled down to 0 (each machine kept as a stopped spare) and
 * up to N again (every pod served from a spare). Time to the last pod Running, creates, calls per
 * pod and 429s for both, the ratio, and whether every pod's machine config is the one a create
 * makes (identical once the pod's own name and uid are put back).
 */
import { randomUUID } from "node:crypto";
import { FLY_TIMINGS } from "../../src/emulator/config";
import { canonicalJson } from "../../src/worker/translate/machine-config-hash";
import type { ClusterClient } from "../lib/cluster";
import { callsOfApp, maxOpen } from "../lib/intervals";
import { PhaseTracker } from "../lib/phases";
import { batches } from "../lib/pods";
import { metric, type Metric } from "../lib/results";
import type { BenchContext, Scenario } from "../lib/scenario";
import { countCalls, diffCalls, describeCalls } from "../lib/stats";
import { poll } from "../lib/wait";

const CREATE = "POST /v1/apps/{app_name}/machines";
const UPDATE = "POST /v1/apps/{app_name}/machines/{machine_id}";
const HASH = "5d8f7b9c4";

function replica(i: number) {
  const uid: string = randomUUID();
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `web-${HASH}-${i.toString(36)}${uid.slice(0, 4)}`,
      namespace: "default",
      uid,
      resourceVersion: "1",
      labels: { app: "web", "pod-template-hash": HASH },
      ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: `web-${HASH}`, uid: "rs-web", controller: true }],
    },
    spec: { containers: [{ name: "web", image: "nginx:1.27", env: [{ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }] }] },
  };
}
type Replica = ReturnType<typeof replica>;

interface Phase {
  seconds: number;
  /** The most `wait` calls open at once (a Worker has six connections; waits must leave some free). */
  waitsOpenMax: number;
  creates: number;
  updates: number;
  calls: number;
  rateLimited: number;
}

async function scaleUp(ctx: BenchContext, cluster: ClusterClient, pods: Replica[], label: string): Promise<Phase> {
  const before = await ctx.emulator.stats();
  const stop = ctx.emulator.record();
  const uids = pods.map((p) => p.metadata.uid);
  const t0 = performance.now();
  for (const batch of batches(pods)) await cluster.postEvents(batch.map((object) => ({ type: "ADDED", object })));
  const tracker = new PhaseTracker(cluster);
  await tracker.until(() => tracker.count("Running", uids) === pods.length, {
    timeoutMs: (3 * pods.length + 300) * 1000,
    describe: () => `${label}: ${tracker.count("Running", uids)}/${pods.length} Running`,
    progress: () => ctx.log(`warm: ${label}: ${tracker.count("Running", uids)}/${pods.length} Running after ${Math.round((performance.now() - t0) / 1000)} s`),
  });
  const seconds = (performance.now() - t0) / 1000;
  const waitsOpenMax = maxOpen(callsOfApp(stop(), cluster.app).filter((c) => c.path.endsWith("/wait")));
  const d = diffCalls(before, await ctx.emulator.stats());
  ctx.log(`warm: ${label}: ${seconds.toFixed(1)} s; Machines API calls: ${describeCalls(d)}`);
  return {
    seconds,
    waitsOpenMax,
    creates: countCalls(d, (r, s) => r === CREATE && s === 200),
    updates: countCalls(d, (r, s) => r === UPDATE && s === 200),
    calls: countCalls(d),
    rateLimited: countCalls(d, (_r, s) => s === 429),
  };
}

/** The ReplicaSet controller deletes every pod (grace 1 s); each machine is kept as a spare and each pod goes. */
async function scaleDown(cluster: ClusterClient, pods: Replica[]): Promise<void> {
  const deleting = pods.map((p) => ({ ...p, metadata: { ...p.metadata, resourceVersion: "2", deletionTimestamp: new Date().toISOString(), deletionGracePeriodSeconds: 1 } }));
  for (const batch of batches(deleting)) await cluster.postEvents(batch.map((object) => ({ type: "MODIFIED", object })));
  for (const p of pods) await poll(`pod ${p.metadata.uid} gone`, async () => ((await cluster.pod(p.metadata.uid)) === undefined ? true : undefined), { everyMs: 100, timeoutMs: 300_000 });
}

/** The distinct machine configs of `pods`' machines with each pod's name and uid masked (throws unless each pod has one). */
async function configShapes(ctx: BenchContext, cluster: ClusterClient, pods: Replica[]): Promise<Set<string>> {
  const byUid = new Map(pods.map((p) => [p.metadata.uid, p]));
  const mine = (await ctx.emulator.machines(cluster.app)).filter((m) => m.state !== "destroyed" && byUid.has(m.config.metadata?.machinelet_pod_uid ?? ""));
  if (mine.length !== pods.length) throw new Error(`warm: ${pods.length} pods, ${mine.length} machines carry their uids`);
  return new Set(
    mine.map((m) => {
      const p = byUid.get(m.config.metadata!.machinelet_pod_uid!)!;
      return canonicalJson(JSON.parse(JSON.stringify(m.config).replaceAll(p.metadata.name, "<name>").replaceAll(p.metadata.uid, "<uid>")));
    }),
  );
}

export const warm: Scenario = {
  name: "warm",
  owns: (key) => key.startsWith("warm_"),
  async run(ctx: BenchContext): Promise<Metric[]> {
    const n = Number(process.env.BENCH_WARM_PODS ?? "200");
    await ctx.emulator.configure({ latencyMs: 0, ...FLY_TIMINGS, rateLimits: true });
    const cluster = ctx.newCluster("warm");
    await cluster.prewarm();
    await ctx.emulator.waitQuiet(1_000);

    const cold = Array.from({ length: n }, (_, i) => replica(i));
    const coldPhase = await scaleUp(ctx, cluster, cold, `cold 0 -> ${n}`);
    const coldShapes = await configShapes(ctx, cluster, cold);
    await scaleDown(cluster, cold);
    await poll("every machine a stopped spare", async () => {
      const spares = (await ctx.emulator.machines(cluster.app)).filter((m) => m.state === "stopped" && m.config.metadata?.machinelet_spare);
      return spares.length === n ? true : undefined;
    }, { everyMs: 200, timeoutMs: 120_000 });
    await ctx.emulator.waitQuiet(1_000);
    const warmPods = Array.from({ length: n }, (_, i) => replica(i));
    const warmPhase = await scaleUp(ctx, cluster, warmPods, `from spares 0 -> ${n}`);

    // Every pod's machine carries the config a create makes: one shape, the cold pods' one, once each pod's own name and uid are masked.
    const warmShapes = await configShapes(ctx, cluster, warmPods);
    const identical = warmShapes.size === 1 && [...warmShapes][0] === [...coldShapes][0] && coldShapes.size === 1;
    if (!identical) throw new Error(`warm: expected every machine config in one shape, the cold one; got ${warmShapes.size} shapes (cold: ${coldShapes.size})`);
    await scaleDown(cluster, warmPods);

    const coldBoundS = Math.max(0, n - 3) + (FLY_TIMINGS.imagePullMs + FLY_TIMINGS.bootMs) / 1000;
    return [
      metric("warm_cold_s", coldPhase.seconds, "s", `${n} pods of one template from 0, no spares: every pod a create (rate limits on, FLY_TIMINGS)`),
      metric("warm_spares_s", warmPhase.seconds, "s", `${n} pods of the same template from 0 with ${n} stopped spares (kept at the scale-down)`),
      metric("warm_ratio", warmPhase.seconds > 0 ? coldPhase.seconds / warmPhase.seconds : 0, "x", "cold time / time with spares", 2),
      metric("warm_cold_bound_s", coldBoundS, "s", "what Fly's create limit and timings allow cold: (N - 3) s of creates, then one pull and boot"),
      metric("warm_ratio_vs_bound", warmPhase.seconds > 0 ? coldBoundS / warmPhase.seconds : 0, "x", "the cold bound / time with spares: the gain over a perfect cold path", 2),
      metric("warm_cold_creates", coldPhase.creates, "calls", "machine creates, cold"),
      metric("warm_spares_creates", warmPhase.creates, "calls", "machine creates, with spares"),
      metric("warm_spares_updates", warmPhase.updates, "calls", "machine updates (claims), with spares"),
      metric("warm_cold_calls_per_pod", coldPhase.calls / n, "calls", "every Machines API call per pod, cold"),
      metric("warm_spares_calls_per_pod", warmPhase.calls / n, "calls", "every Machines API call per pod, with spares"),
      metric("warm_cold_429s", coldPhase.rateLimited, "calls", "429 answers, cold"),
      metric("warm_cold_waits_open_max", coldPhase.waitsOpenMax, "calls", "the most `wait` calls open at once, cold (a Worker may have 6 connections waiting)"),
      metric("warm_spares_waits_open_max", warmPhase.waitsOpenMax, "calls", "the most `wait` calls open at once, with spares"),
      metric("warm_spares_429s", warmPhase.rateLimited, "calls", "429 answers, with spares"),
      metric("warm_configs_identical", identical ? 1 : 0, "bool", "every pod's machine config is what a create makes (1: all identical but for the pod's name and uid)"),
      metric("warm_pods", n, "pods", "BENCH_WARM_PODS"),
    ];
  },
};
