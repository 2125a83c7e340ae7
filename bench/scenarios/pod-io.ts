/**
 * Does streaming work on the relay slow down its event forwarding? Forwarding latency (a pod
 * created in the Kubernetes API -> the worker knows it) measured idle, then while 20 sessions run
 * through the K8s stand-in and the relay's kubelet API: 10 `logs -f` streams fed 5 lines/s each,
 * and 10 exec loops (WebSocket v5 to the stand-in, SPDY to the relay, exec through the worker).
 * The relay runs in its own process (bench/lib/relay-process.ts): the load generators here do not
 * share its event loop, and its own /metrics gives its event-loop delay and CPU in each phase.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { startK8sStandin, type K8sStandin } from "../../src/k8s/standin/server";
import { DEFAULT_TAINT } from "../../src/relay/config";
import { KubeApi } from "../../src/relay/kube-api";
import type { ClusterClient } from "../lib/cluster";
import { median, percentile } from "../lib/percentiles";
import { startSessions } from "../lib/pod-io-sessions";
import { startRelayProcess, type RelayProcess, type RelayScrape } from "../lib/relay-process";
import { metric, type Metric } from "../lib/results";
import type { BenchContext, Scenario } from "../lib/scenario";
import { poll, sleep } from "../lib/wait";

const SAMPLES = 30;
const LOG_SESSIONS = 10;
const EXEC_SESSIONS = 10;
const LINES_PER_S = 5;

/** Over one phase: the relay's event-loop delay, CPU and worker round trips (a scrape at each end), and this process's loop delay. */
interface PhaseLoad {
  delayP99Ms: number;
  delayMaxMs: number;
  cpuPerS: number;
  eventPostMeanMs: number;
  benchDelayP99Ms: number;
  end: RelayScrape;
}

async function phase<T>(relay: RelayProcess, work: () => Promise<T>): Promise<{ out: T; load: PhaseLoad }> {
  const own = monitorEventLoopDelay({ resolution: 10 });
  const start = await relay.scrape(); // resets the relay's event-loop delay histogram
  const t0 = performance.now();
  own.enable();
  const out = await work();
  own.disable();
  const end = await relay.scrape();
  return {
    out,
    load: {
      delayP99Ms: end.eventLoopDelayP99Ms,
      delayMaxMs: end.eventLoopDelayMaxMs,
      cpuPerS: (end.cpuSeconds - start.cpuSeconds) / ((performance.now() - t0) / 1000),
      eventPostMeanMs: ((end.eventPostSeconds - start.eventPostSeconds) * 1000) / Math.max(1, end.eventPosts - start.eventPosts),
      benchDelayP99Ms: own.percentile(99) / 1e6,
      end,
    },
  };
}

export const podIo: Scenario = {
  name: "pod-io",
  owns: (key) => key.startsWith("pod_io_"),
  async run(ctx: BenchContext): Promise<Metric[]> {
    await ctx.emulator.configure({ latencyMs: 0, bootMs: 0, rateLimits: false });
    const cluster = ctx.newCluster("io");
    await cluster.prewarm();
    const sys = await startSystem(ctx, cluster);
    try {
      const sessionPods = Array.from({ length: LOG_SESSIONS + EXEC_SESSIONS }, (_, i) => `s-${i}`);
      for (const name of sessionPods) await sys.createPod(name);
      for (const name of sessionPods) await poll(`${name} Running`, async () => ((await sys.phase(name)) === "Running" ? true : undefined), { everyMs: 100, timeoutMs: 120_000 });
      ctx.log("pod-io: session pods running; forwarding latency, idle");
      const idle = await phase(sys.relay, () => forwardingSamples(sys, cluster, "idle"));

      const sessions = await startSessions({ k8s: sys.k8s, emulator: ctx.emulator, app: cluster.app, logPods: sessionPods.slice(0, LOG_SESSIONS), execPods: sessionPods.slice(LOG_SESSIONS), linesPerS: LINES_PER_S });
      await sleep(2_000);
      ctx.log(`pod-io: forwarding latency under ${LOG_SESSIONS + EXEC_SESSIONS} sessions (${(await sys.relay.scrape()).kubeletSessions} open)`);
      const busy = await phase(sys.relay, () => forwardingSamples(sys, cluster, "busy"));
      const counts = await sessions.stop();

      const setting = `${SAMPLES} samples; relay in its own process; emulator latency 0, rate limits off`;
      return [
        metric("pod_io_forward_idle_p50_ms", median(idle.out), "ms", `pod POST to the API server -> the worker's GET /pods/{uid} answers 200 (polled every 5 ms), no sessions; ${setting}`),
        metric("pod_io_forward_idle_p99_ms", percentile(idle.out, 99), "ms", "same, p99"),
        metric("pod_io_forward_busy_p50_ms", median(busy.out), "ms", `same, while ${LOG_SESSIONS} logs -f and ${EXEC_SESSIONS} exec loops run`),
        metric("pod_io_forward_busy_p99_ms", percentile(busy.out, 99), "ms", "same, p99"),
        metric("pod_io_forward_ratio", median(busy.out) / median(idle.out), "x", "busy p50 / idle p50"),
        metric("pod_io_relay_loop_delay_idle_p99_ms", idle.load.delayP99Ms, "ms", "the relay's event-loop delay over the idle samples (its /metrics nodejs_eventloop_lag_p99_seconds, 10 ms resolution)"),
        metric("pod_io_relay_loop_delay_busy_p99_ms", busy.load.delayP99Ms, "ms", "same, over the busy samples"),
        metric("pod_io_relay_loop_delay_busy_max_ms", busy.load.delayMaxMs, "ms", "same, the longest delay"),
        metric("pod_io_relay_post_events_idle_mean_ms", idle.load.eventPostMeanMs, "ms", "mean time of the relay's POST /events to the worker over the idle samples (its machinelet_relay_event_batch_duration_seconds)"),
        metric("pod_io_relay_post_events_busy_mean_ms", busy.load.eventPostMeanMs, "ms", "same, over the busy samples"),
        metric("pod_io_bench_loop_delay_idle_p99_ms", idle.load.benchDelayP99Ms, "ms", "event-loop delay of the benchmark's process (stand-in, emulator, session clients) over the idle samples"),
        metric("pod_io_bench_loop_delay_busy_p99_ms", busy.load.benchDelayP99Ms, "ms", "same, over the busy samples"),
        metric("pod_io_relay_cpu_idle", idle.load.cpuPerS, "cores", "relay process CPU seconds per second over the idle samples"),
        metric("pod_io_relay_cpu_busy", busy.load.cpuPerS, "cores", "same, over the busy samples"),
        metric("pod_io_sessions_open", busy.load.end.kubeletSessions, "sessions", "kubelet API sessions open on the relay at the end of the busy samples (its /metrics)"),
        metric("pod_io_exec_per_s", counts.execs / counts.execSeconds, "execs/s", `completed execs per second over the ${EXEC_SESSIONS} loops (each: WebSocket -> stand-in -> SPDY -> relay -> worker -> Fly exec)`),
        metric("pod_io_log_injected_per_s", counts.injected / counts.injectSeconds, "lines/s", `lines the emulator took for the ${LOG_SESSIONS} followed machines (${LINES_PER_S}/s each, paced by the clock)`),
        metric("pod_io_log_lines_per_s", counts.delivered / counts.injectSeconds, "lines/s", `lines the ${LOG_SESSIONS} followers received, over the same span (the last ones drained after it)`),
        metric("pod_io_log_lag_p50_ms", median(counts.lagsMs), "ms", "per delivered line: received by the follower - posted to the emulator"),
        metric("pod_io_log_lag_p99_ms", percentile(counts.lagsMs, 99), "ms", "same, p99"),
      ];
    } finally {
      await sys.stop();
    }
  },
};

interface System {
  k8s: K8sStandin;
  relay: RelayProcess;
  createPod(name: string): Promise<string>;
  phase(name: string): Promise<string | undefined>;
  stop(): Promise<void>;
}

async function startSystem(ctx: BenchContext, cluster: ClusterClient): Promise<System> {
  const dir = await mkdtemp(join(tmpdir(), "bench-pod-io-"));
  const nodeName = `fks-${cluster.name}`;
  // The virtual node's taint, tolerated by every pod as staging does (PodTolerationRestriction's default).
  const k8s = await startK8sStandin({ kubeconfigPath: join(dir, "kubeconfig"), defaultTolerations: [{ key: DEFAULT_TAINT.key, operator: "Exists", effect: DEFAULT_TAINT.effect }] });
  let relay: RelayProcess | undefined;
  const stop = async () => {
    await relay?.stop();
    await k8s.close();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await writeFile(join(dir, "ca.crt"), k8s.kubeletClientCa);
    relay = await startRelayProcess({
      kubeconfigPath: join(dir, "kubeconfig"),
      kubeletClientCaFile: join(dir, "ca.crt"),
      workerUrl: ctx.worker.url,
      cluster: cluster.name,
      relaySecret: ctx.worker.relaySecret,
      nodeName,
      ...(process.env.BENCH_RELAY_CPU_PROF ? { cpuProfDir: process.env.BENCH_RELAY_CPU_PROF } : {}),
    });
    const kc = new KubeConfig();
    kc.loadFromString(k8s.kubeconfig);
    const kube = new KubeApi(kc, 30_000);
    type NodeObj = { status?: { conditions?: Array<{ type: string; status: string }> } };
    const ready = async () => (await kube.request<NodeObj>("GET", `/api/v1/nodes/${nodeName}`).catch(() => undefined))?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
    await poll("relay's node Ready", async () => ((await ready()) ? true : undefined), { everyMs: 100, timeoutMs: 60_000 });
    return {
      k8s,
      relay,
      createPod: async (name) =>
        (
          await kube.request<{ metadata: { uid: string } }>("POST", "/api/v1/namespaces/default/pods", {
            body: { apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { containers: [{ name: "main", image: "nginx:1.27" }], terminationGracePeriodSeconds: 1 } },
          })
        ).metadata.uid,
      phase: async (name) => (await kube.request<{ status?: { phase?: string } }>("GET", `/api/v1/namespaces/default/pods/${name}`)).status?.phase,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Pod created in the API server -> the worker has it (the relay forwarded the ADDED event). */
async function forwardingSamples(sys: System, cluster: ClusterClient, prefix: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    const uid = await sys.createPod(`${prefix}-${i}`);
    await poll("forwarded", async () => ((await cluster.pod(uid)) ? true : undefined), { everyMs: 5, timeoutMs: 60_000 });
    out.push(performance.now() - t0);
    await sleep(100);
  }
  return out;
}
