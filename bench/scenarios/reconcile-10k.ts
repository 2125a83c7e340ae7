/**
 * An idle reconcile pass over 10,000 pods whose machines exist: what it costs in Machines API
 * calls (expected: ceil(10000/1000) = 10 list pages, nothing else) and in worker time.
 *
 * Seeding: the machines are created directly through the Machines API (rate limits off) with
 * exactly the config the worker's own translation gives each pod, then the pods arrive as one
 * snapshot reconcile, which applies them and adopts their machines without changing them.
 *
 * Worker CPU: the CPU time (user + system) the workerd processes the benchmark started used over
 * the request, read from /proc/<pid>/stat before and after (see bench/README.md). Worker busy time,
 * as seen from outside, is also estimated from the request log the emulator keeps.
 */
import { MAX_BODY_BYTES } from "../../src/shared/contract";
import { parseK8sObject } from "../../src/shared/k8s";
import { translatePod } from "../../src/worker/cluster/pod-translation";
import type { ClusterClient, ReconcileCounts, Snapshot } from "../lib/cluster";
import { isExitWatchList, type LoggedCall } from "../lib/emulator";
import { PhaseTracker } from "../lib/phases";
import { benchPods, type BenchPod } from "../lib/pods";
import { median } from "../lib/percentiles";
import { metric, type Metric } from "../lib/results";
import type { BenchContext, Scenario } from "../lib/scenario";
import { countCalls, describeCalls, diffCalls, isMutating } from "../lib/stats";
import { pool, sleep } from "../lib/wait";
import { workerdCpuClock, workerdMemoryMb } from "../lib/worker";

const PODS = 10_000;
const SEED_CONCURRENCY = 16;
const IDLE_PASSES = 5;
/** The worker budgets list calls like any per-app action: 1/s, burst 3. */
const LIST_BURST = 3;
/** Pause before each idle pass so the worker's list budget is full again (3 tokens at 1/s). */
const BUDGET_REFILL_MS = 5_000;
/**
 * Emulator silence that means the worker is idle: longer than the 5 s after which the worker
 * passes again while work was pending at the end of a pass (as it is right after adoption).
 */
const WORKER_IDLE_MS = 8_000;
const PAGES = Math.ceil(PODS / 1000);

export const reconcile10k: Scenario = {
  name: "reconcile",
  owns: (key) => key.startsWith("reconcile_"),
  async run(ctx: BenchContext): Promise<Metric[]> {
    await ctx.emulator.configure({ latencyMs: 0, bootMs: 0, rateLimits: false });
    const cluster = ctx.newCluster("rec");
    const pods = benchPods(PODS);
    await seedMachines(ctx, cluster, pods);

    const snapshot: Snapshot<unknown> = { pods, services: [], secrets: [], configMaps: [], persistentVolumeClaims: [] };
    const bodyBytes = Buffer.byteLength(JSON.stringify({ snapshot }));
    if (bodyBytes > MAX_BODY_BYTES) throw new Error(`a snapshot of ${PODS} minimal pods is ${bodyBytes} bytes, over the worker's 5 MiB limit`);

    const beforeAdopt = await ctx.emulator.stats();
    const rssBeforeMb = (await workerdMemoryMb())?.rss;
    const adoptClock = await workerdCpuClock();
    const t0 = performance.now();
    const adopt = await ctx.profile("reconcile-adopt", () => snapshotPass(ctx, cluster, snapshot));
    const adoptPeakMb = (await workerdMemoryMb())?.peak;
    ctx.log(`reconcile: snapshot of ${PODS} pods: ${JSON.stringify(adopt)}`);
    const uids = pods.map((p) => p.metadata.uid);
    const tracker = new PhaseTracker(cluster);
    await tracker.until(() => tracker.count("Running", uids) === PODS, {
      timeoutMs: 600_000,
      describe: () => `${tracker.count("Running", uids)}/${PODS} pods Running after the snapshot`,
      progress: () => ctx.log(`reconcile: ${tracker.count("Running", uids)}/${PODS} Running`),
    });
    const runningS = (performance.now() - t0) / 1000;
    await ctx.emulator.waitQuiet(WORKER_IDLE_MS, 120_000, isExitWatchList);
    // Until idle: the steps the adoption left due, the pass 5 s after it, the exit watch, the feed polls above.
    const adoptTotalCpu = await adoptClock();
    const adoptDelta = diffCalls(beforeAdopt, await ctx.emulator.stats());
    ctx.log(`reconcile: calls from the snapshot until idle: ${describeCalls(adoptDelta)}`);
    const rssMb = (await workerdMemoryMb())?.rss;

    const passes: IdlePass[] = [];
    let discarded = 0;
    while (passes.length < IDLE_PASSES) {
      await sleep(BUDGET_REFILL_MS);
      const pass = await ctx.profile(`reconcile-idle-${passes.length + discarded}`, () => idlePass(ctx, cluster));
      ctx.log(`reconcile: idle pass: ${JSON.stringify(pass)}`);
      if (pass.lists === PAGES) {
        passes.push(pass);
        continue;
      }
      // The request joined a pass the worker had started on its own (concurrent calls share one): not a measurement.
      ctx.log(`reconcile: that pass made ${pass.lists} list calls while the request was open, not ${PAGES}: discarded`);
      if (++discarded > IDLE_PASSES) throw new Error("idle reconciles keep joining passes the worker started on its own");
      await ctx.emulator.waitQuiet(WORKER_IDLE_MS, 120_000, isExitWatchList);
    }

    // The relay's relist: the same snapshot again, every pod already known and running.
    await sleep(BUDGET_REFILL_MS);
    const relist = await ctx.profile("reconcile-relist", () => snapshotPass(ctx, cluster, snapshot));
    ctx.log(`reconcile: relist snapshot: ${JSON.stringify(relist)}`);

    const med = (f: (p: IdlePass) => number) => median(passes.map(f));
    const metrics = [
      metric("reconcile_idle_calls_n10000", med((p) => p.calls), "calls", `Machines API calls of one idle reconcile of ${PODS} pods (median of ${IDLE_PASSES}; the exit watch's lists left out); expected 10 list pages`),
      metric("reconcile_idle_mutations_n10000", Math.max(...passes.map((p) => p.mutations)), "calls", "non-GET calls in any of those passes; expected 0"),
      metric("reconcile_10k_wall_ms", med((p) => p.wallMs), "ms", "POST /reconcile {} -> 200, median"),
      metric("reconcile_10k_list_ms", med((p) => p.listMs), "ms", "of the wall time: the emulator serving the 10 list pages"),
      metric("reconcile_10k_budget_wait_ms", med((p) => p.budgetWaitMs), "ms", "of the wall time: the worker sleeping for its own list budget (1/s, burst 3)"),
      metric("reconcile_10k_busy_ms", med((p) => p.workerMs), "ms", "of the wall time: the worker busy, seen from outside (estimate, see bench/README.md)"),
      metric("reconcile_10k_page_ms", med((p) => p.perPageMs), "ms", "of the busy time: per 1000-machine list page (parse, collect)"),
      metric("reconcile_10k_compare_ms", med((p) => p.afterLastMs), "ms", "of the busy time: after the last page (compare 10k machines with their pods, sweep)"),
      metric("reconcile_10k_adopt_wall_ms", adopt.wallMs, "ms", `POST /reconcile with the ${(bodyBytes / 1024 / 1024).toFixed(1)} MiB snapshot: apply + adopt, until its 200`),
      metric("reconcile_10k_snapshot_apply_ms", adopt.beforeFirstMs, "ms", "of that: request in -> first list call (parse and apply 10k pods)"),
      metric("reconcile_10k_adopt_busy_ms", adopt.workerMs, "ms", `of that: the worker busy, seen from outside as for an idle pass (budget sleep: ${Math.round(adopt.budgetWaitMs)} ms)`),
      metric("reconcile_10k_adopt_running_s", runningS, "s", "from that POST until the feed shows every pod Running"),
      metric("reconcile_10k_relist_wall_ms", relist.wallMs, "ms", "the same snapshot posted again (a relay relist: every pod known and running), until its 200"),
      metric("reconcile_10k_relist_apply_ms", relist.beforeFirstMs, "ms", `of that: request in -> first list call (10k unchanged pods; budget sleep after: ${Math.round(relist.budgetWaitMs)} ms)`),
      metric("reconcile_10k_adopt_mutations", countCalls(adoptDelta, (r) => isMutating(r)), "calls", "non-GET calls from the snapshot until idle; expected 0 (adopt, never recreate)"),
    ];
    // workerd's CPU time (/proc/<pid>/stat), absent where /proc is not readable.
    const cpuMetric = (name: string, c: CpuUse | undefined, what: string) => {
      if (c) metrics.push(metric(name, c.totalMs, "ms", `workerd CPU time, user + system: ${what} (10 ms resolution)`));
    };
    cpuMetric("reconcile_10k_adopt_cpu_ms", adopt.cpu, "the snapshot POST, request sent -> 200");
    if (adopt.cpu) {
      metrics.push(metric("reconcile_10k_adopt_system_cpu_ms", adopt.cpu.systemMs, "ms", "of that: system time, the kernel on workerd's behalf (page faults, zeroing fresh pages, file writes)"));
      metrics.push(metric("reconcile_10k_adopt_main_thread_cpu_ms", adopt.cpu.mainMs, "ms", "of that: workerd's main thread (JavaScript, SQLite, commits; the rest is V8's background compiling and GC help)"));
    }
    cpuMetric("reconcile_10k_adopt_total_cpu_ms", adoptTotalCpu, "the snapshot POST until every pod Running and the worker idle");
    const idleCpu = passes.every((p) => p.cpu) ? { totalMs: med((p) => p.cpu!.totalMs), mainMs: med((p) => p.cpu!.mainMs), systemMs: med((p) => p.cpu!.systemMs) } : undefined;
    cpuMetric("reconcile_10k_cpu_ms", idleCpu, "one idle POST /reconcile {}, median");
    cpuMetric("reconcile_10k_relist_cpu_ms", relist.cpu, "the relist snapshot POST");
    if (adoptPeakMb !== undefined) metrics.push(metric("reconcile_10k_adopt_peak_rss_mb", adoptPeakMb, "MiB", `workerd's peak resident memory (VmHWM) once the snapshot POST answered: the adoption's high-water mark (VmRSS before the POST: ${rssBeforeMb?.toFixed(0)} MiB)`));
    if (rssMb !== undefined) metrics.push(metric("reconcile_10k_worker_rss_mb", rssMb, "MiB", "workerd resident memory after adopting 10k pods"));
    return metrics;
  },
};

/** Creates every pod's machine directly, with the name, region and config the worker's translation gives it. */
async function seedMachines(ctx: BenchContext, cluster: ClusterClient, pods: BenchPod[]): Promise<void> {
  await ctx.fly.createApp(cluster.app, ctx.emulator.org);
  const t0 = performance.now();
  await pool(pods.length, SEED_CONCURRENCY, async (i) => {
    const parsed = parseK8sObject("Pod", pods[i]);
    if (!parsed.ok) throw new Error(parsed.message);
    const t = translatePod(parsed.object, { cluster: cluster.name });
    if (!t.config) throw new Error(`pod ${i} does not translate: ${t.problem?.message}`);
    await ctx.fly.createMachine(cluster.app, { name: t.machineName, region: t.region ?? undefined, config: t.config });
    if ((i + 1) % 2_000 === 0) ctx.log(`reconcile: seeded ${i + 1}/${pods.length} machines`);
  });
  ctx.log(`reconcile: seeded ${pods.length} machines in ${Math.round(performance.now() - t0)} ms`);
}

/** The reconcile pass's list calls (the exit watch's lists, which filter by state, left out). */
const listCalls = (log: readonly LoggedCall[], app: string) =>
  log.filter((c) => c.method === "GET" && c.path === `/v1/apps/${app}/machines` && !isExitWatchList(c)).sort((a, b) => a.start - b.start);

type CpuUse = { totalMs: number; mainMs: number; systemMs: number };

interface WallSplit {
  listMs: number;
  budgetWaitMs: number;
  workerMs: number;
  /** Request in -> first list call (for a snapshot: parsing and applying it). */
  beforeFirstMs: number;
  /** Worker time per list page (parse + collect), from the gaps that had no budget sleep. */
  perPageMs: number;
  /** Last list page -> response: comparing every machine with its pod, the orphan sweep. */
  afterLastMs: number;
}

interface IdlePass extends WallSplit {
  wallMs: number;
  calls: number;
  mutations: number;
  /** List calls that started after this request was sent. */
  lists: number;
  /** The pass's calls besides those list pages (for the log). */
  others: string[];
  cpu: CpuUse | undefined;
}

/** A snapshot reconcile, its wall time split as for an idle pass, and workerd's CPU time over it. */
async function snapshotPass(ctx: BenchContext, cluster: ClusterClient, snapshot: Snapshot<unknown>): Promise<WallSplit & { wallMs: number; counts: ReconcileCounts; cpu: CpuUse | undefined }> {
  const stop = ctx.emulator.record();
  const clock = await workerdCpuClock();
  const sent = performance.now();
  const counts = await cluster.reconcile(snapshot);
  const received = performance.now();
  const cpu = await clock();
  const lists = listCalls(stop(), cluster.app).filter((c) => c.start >= sent && c.end <= received);
  return { wallMs: received - sent, counts, cpu, ...splitWallTime(lists, sent, received) };
}

async function idlePass(ctx: BenchContext, cluster: ClusterClient): Promise<IdlePass> {
  const stop = ctx.emulator.record();
  const clock = await workerdCpuClock();
  const sent = performance.now();
  const counts = await cluster.reconcile();
  const received = performance.now();
  const cpu = await clock();
  await ctx.emulator.waitQuiet(1_000, 120_000, isExitWatchList);
  const log = stop().filter((c) => !isExitWatchList(c));
  if (counts.created + counts.updated + counts.destroyed + counts.orphansDestroyed > 0) {
    ctx.log(`reconcile: WARNING an idle pass found work: ${JSON.stringify(counts)}`);
  }
  const lists = listCalls(log, cluster.app).filter((c) => c.start >= sent && c.start <= received);
  return {
    wallMs: received - sent,
    calls: log.length,
    mutations: log.filter((c) => c.method !== "GET").length,
    lists: lists.length,
    others: log.filter((c) => !lists.includes(c)).map((c) => `${c.method} ${c.path}${c.query ? "?" + c.query : ""}`),
    cpu,
    ...splitWallTime(lists, sent, received),
  };
}

/**
 * Splits a pass's wall time into emulator time (list calls open), worker time and budget sleep.
 * Between two list calls the worker parses the page just received and then, once its budget is
 * spent, sleeps until the next token. The first LIST_BURST calls never sleep (the bucket was
 * full before the pass), so the gaps after calls 1..LIST_BURST-1 are pure worker time; a later
 * gap is counted as worker time up to their mean (pages are alike: 1000 machines each), the rest
 * as budget sleep. Before the first call and after the last one the worker only works.
 */
function splitWallTime(lists: readonly LoggedCall[], sent: number, received: number): WallSplit {
  const wall = received - sent;
  if (lists.length === 0) return { listMs: 0, budgetWaitMs: 0, workerMs: wall, beforeFirstMs: wall, perPageMs: 0, afterLastMs: 0 };
  const listMs = lists.reduce((s, c) => s + (c.end - c.start), 0);
  const gaps = lists.slice(1).map((c, k) => c.start - lists[k]!.end);
  const free = gaps.slice(0, LIST_BURST - 1);
  const perPageMs = free.length ? free.reduce((s, g) => s + g, 0) / free.length : 0;
  const inGaps = gaps.reduce((s, g, k) => s + (k < LIST_BURST - 1 ? g : Math.min(g, perPageMs)), 0);
  const beforeFirstMs = lists[0]!.start - sent;
  const afterLastMs = received - lists.at(-1)!.end;
  const workerMs = beforeFirstMs + inGaps + afterLastMs;
  return { listMs, budgetWaitMs: wall - listMs - workerMs, workerMs, beforeFirstMs, perPageMs, afterLastMs };
}
