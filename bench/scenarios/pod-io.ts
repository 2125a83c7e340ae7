/**
 * Does streaming work on the relay slow down its event forwarding? Forwarding latency (a pod
 * created in the Kubernetes API -> the worker knows it) measured idle, then while 20 sessions run
 * through the K8s stand-in and the relay's kubelet API: 10 `logs -f` streams fed 5 lines/s each,
 * and 10 exec loops (WebSocket v5 to the stand-in, SPDY to the relay, exec through the worker).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { WebSocket } from "ws";
import { startK8sStandin, type K8sStandin } from "../../src/k8s/standin/server";
import { DEFAULT_TAINT } from "../../src/relay/config";
import { KubeApi } from "../../src/relay/kube-api";
import { createLogger } from "../../src/relay/log";
import { startRelay, type Relay } from "../../src/relay/relay";
import type { ClusterClient } from "../lib/cluster";
import { median, percentile } from "../lib/percentiles";
import { metric, type Metric } from "../lib/results";
import type { BenchContext, Scenario } from "../lib/scenario";
import { poll, sleep } from "../lib/wait";

const SAMPLES = 30;
const LOG_SESSIONS = 10;
const EXEC_SESSIONS = 10;
const LINES_PER_S = 5;

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
      const idle = await forwardingSamples(sys, cluster, "idle");

      const sessions = startSessions(ctx, sys, cluster, sessionPods);
      await sleep(2_000);
      ctx.log(`pod-io: forwarding latency under ${LOG_SESSIONS + EXEC_SESSIONS} sessions (${sys.relay.status().kubeletSessions} open)`);
      const loaded = await forwardingSamples(sys, cluster, "busy");
      const open = sys.relay.status().kubeletSessions;
      const counts = await sessions.stop();

      const setting = `${SAMPLES} samples; emulator latency 0, rate limits off`;
      return [
        metric("pod_io_forward_idle_p50_ms", median(idle), "ms", `pod POST to the API server -> the worker's GET /pods/{uid} answers 200 (polled every 5 ms), no sessions; ${setting}`),
        metric("pod_io_forward_idle_p99_ms", percentile(idle, 99), "ms", "same, p99"),
        metric("pod_io_forward_busy_p50_ms", median(loaded), "ms", `same, while ${LOG_SESSIONS} logs -f and ${EXEC_SESSIONS} exec loops run`),
        metric("pod_io_forward_busy_p99_ms", percentile(loaded, 99), "ms", "same, p99"),
        metric("pod_io_forward_ratio", median(loaded) / median(idle), "x", "busy p50 / idle p50"),
        metric("pod_io_sessions_open", open, "sessions", "kubelet API sessions open on the relay at the end of the busy samples"),
        metric("pod_io_exec_per_s", counts.execs / counts.seconds, "execs/s", `completed execs per second over the ${EXEC_SESSIONS} loops (each: WebSocket -> stand-in -> SPDY -> relay -> worker -> Fly exec)`),
        metric("pod_io_log_lines_per_s", counts.lines / counts.seconds, "lines/s", `log lines delivered to the ${LOG_SESSIONS} followers per second (${LINES_PER_S}/s injected per pod)`),
      ];
    } finally {
      await sys.stop();
    }
  },
};

interface System {
  k8s: K8sStandin;
  relay: Relay;
  kube: KubeApi;
  createPod(name: string): Promise<string>;
  phase(name: string): Promise<string | undefined>;
  stop(): Promise<void>;
}

async function startSystem(ctx: BenchContext, cluster: ClusterClient): Promise<System> {
  const dir = await mkdtemp(join(tmpdir(), "bench-pod-io-"));
  const node = `fks-${cluster.name}`;
  // The virtual node's taint, tolerated by every pod as staging does (PodTolerationRestriction's default).
  const k8s = await startK8sStandin({ kubeconfigPath: join(dir, "kubeconfig"), defaultTolerations: [{ key: DEFAULT_TAINT.key, operator: "Exists", effect: DEFAULT_TAINT.effect }] });
  await writeFile(join(dir, "ca.crt"), k8s.kubeletClientCa);
  const relay = await startRelay(
    {
      kubeconfigPath: join(dir, "kubeconfig"),
      workerUrl: ctx.worker.url,
      cluster: cluster.name,
      relaySecret: ctx.worker.relaySecret,
      nodeName: node,
      nodeAddress: "127.0.0.1",
      kubeletBindAddress: "127.0.0.1",
      kubeletPort: 0,
      metricsPort: 0,
      kubeletClientCaFile: join(dir, "ca.crt"),
      feedWaitSeconds: 5,
    },
    { log: createLogger({ level: "error" }) },
  );
  const kc = new KubeConfig();
  kc.loadFromString(k8s.kubeconfig);
  const kube = new KubeApi(kc, 30_000);
  await poll("relay ready", async () => (relay.status().nodeReady && relay.status().informersSynced ? true : undefined), { everyMs: 100, timeoutMs: 60_000 });
  return {
    k8s,
    relay,
    kube,
    createPod: async (name) =>
      (
        await kube.request<{ metadata: { uid: string } }>("POST", "/api/v1/namespaces/default/pods", {
          body: { apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { containers: [{ name: "main", image: "nginx:1.27" }], terminationGracePeriodSeconds: 1 } },
        })
      ).metadata.uid,
    phase: async (name) => (await kube.request<{ status?: { phase?: string } }>("GET", `/api/v1/namespaces/default/pods/${name}`)).status?.phase,
    stop: async () => {
      await relay.stop();
      await k8s.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
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

function startSessions(ctx: BenchContext, sys: System, cluster: ClusterClient, pods: string[]) {
  const stopAt = { stopped: false };
  const counts = { execs: 0, lines: 0 };
  const started = performance.now();
  const auth = { Authorization: `Bearer ${sys.k8s.token}` };
  const logPods = pods.slice(0, LOG_SESSIONS);
  const execPods = pods.slice(LOG_SESSIONS);
  const streams = logPods.map((pod) => {
    const req = request(`${sys.k8s.url}/api/v1/namespaces/default/pods/${pod}/log?follow=true&tailLines=0`, { ca: sys.k8s.ca, headers: auth }, (res) => {
      res.on("data", (d: Buffer) => (counts.lines += d.toString().split("\n").length - 1));
      res.on("error", () => undefined);
    });
    req.on("error", () => undefined);
    req.end();
    return req;
  });
  const feeder = (async () => {
    const raw = await ctx.emulator.machines(cluster.app);
    const ids = logPods.map((pod) => raw.find((m) => m.config.metadata?.machinelet_pod === pod && m.state !== "destroyed")?.id).filter((id): id is string => Boolean(id));
    for (let n = 0; !stopAt.stopped; n++) {
      await Promise.all(ids.map((id) => fetch(`${ctx.emulator.url}/_emulator/apps/${cluster.app}/machines/${id}/logs`, { method: "POST", body: JSON.stringify({ lines: [`line ${n}`] }), headers: { "content-type": "application/json" } })));
      await sleep(1000 / LINES_PER_S);
    }
  })();
  const execLoops = execPods.map(async (pod) => {
    while (!stopAt.stopped) {
      await new Promise<void>((resolve) => {
        const ws = new WebSocket(`${sys.k8s.url.replace(/^https/, "wss")}/api/v1/namespaces/default/pods/${pod}/exec?command=echo&command=hi&stdout=true`, ["v5.channel.k8s.io"], { ca: sys.k8s.ca, headers: auth });
        ws.on("close", () => resolve());
        ws.on("error", () => resolve());
      });
      counts.execs++;
    }
  });
  return {
    stop: async () => {
      stopAt.stopped = true;
      const seconds = (performance.now() - started) / 1000;
      for (const s of streams) s.destroy();
      await Promise.all([feeder, ...execLoops]);
      return { ...counts, seconds };
    },
  };
}
