/**
 * Services: what a Service costs in Fly calls and time, from the event to the emulator routing
 * connections (`/_emulator/route`, followed hop by hop from a pod machine, as Fly Proxy would
 * deliver them) to the Service's pods; then what a membership change, a new port and a new pod
 * cost. Emulator at 100 ms per call, instant boot, Fly's rate limits on. Calls are counted from the
 * event until SETTLE_MS after the change routes, without the exit watch's periodic list.
 */
import { randomUUID } from "node:crypto";
import type { ServiceView } from "../../src/shared/contract";
import type { ClusterClient, WatchEvent } from "../lib/cluster";
import type { LoggedCall } from "../lib/emulator";
import { median } from "../lib/percentiles";
import { metric, type Metric } from "../lib/results";
import type { BenchContext, Scenario } from "../lib/scenario";
import { poll, sleep } from "../lib/wait";

const SAMPLES = 3;
const BULK_PODS = 500;
const EVENTS = 20;
const PODS = 10;
const LATENCY_MS = 100;
const POLL = { everyMs: 20, timeoutMs: 120_000 };
/** After a change routes, how long its stragglers (reads of updated machines) are still counted. */
const SETTLE_MS = 2_000;

/** The calls a change made: all but the exit watch's list of the cluster's machines, which runs every 2 s whatever happens. */
const counted = (calls: LoggedCall[], cluster: ClusterClient) => calls.filter((c) => !(c.method === "GET" && c.path === `/v1/apps/${cluster.app}/machines`));

interface Obj {
  apiVersion: "v1";
  kind: string;
  metadata: { name: string; namespace: string; uid: string; resourceVersion: string; creationTimestamp: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
}

let rv = 1;
/** A creation timestamp as the API server sets it (whole seconds): which Services a pod's variables come from depends on it. */
const now = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");
const webPod = (name: string): Obj => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "default", uid: randomUUID(), resourceVersion: String(rv++), creationTimestamp: now(), labels: { app: "web" } },
  spec: { containers: [{ name: "web", image: "nginx:1.27", ports: [{ containerPort: 8080, name: "http" }] }] },
});
const ports = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `p${i}`, port: 80 + i, targetPort: "http" }));
const webService = (portCount: number, uid: string = randomUUID(), created = now()): Obj => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "web", namespace: "default", uid, resourceVersion: String(rv++), creationTimestamp: created },
  spec: { selector: { app: "web" }, ports: ports(portCount) },
});
const event = (type: WatchEvent["type"], object: Obj): WatchEvent => ({ type, object });

interface Sample {
  createMs: number;
  createCalls: LoggedCall[];
  serviceAppCalls: number;
  membershipMs: number;
  membershipCalls: number;
  updateMs: number;
  updateCalls: number;
  joinMs: number;
  readyMs: number;
  readyCalls: number;
}

export const services: Scenario = {
  name: "services",
  owns: (key) => key.startsWith("service_"),
  async run(ctx: BenchContext): Promise<Metric[]> {
    const samples: Sample[] = [];
    for (let i = 0; i < SAMPLES; i++) samples.push(await sample(ctx, i));
    const calls = (s: Sample) => s.createCalls.length;
    const setting = `emulator latency ${LATENCY_MS} ms/call, boot 0, rate limits on; ${PODS} pods, ${SAMPLES} samples (medians)`;
    const eventMs = await serviceEventCost(ctx);
    return [
      metric("service_event_p50_ms", eventMs, "ms", `one Service MODIFIED (a port changes) in a namespace of ${BULK_PODS} pods it does not select: median POST time of ${EVENTS} sequential events`),
      metric("service_create_to_reachable_ms", median(samples.map((s) => s.createMs)), "ms", `3-port Service event -> every port routes to all ${PODS} pods; ${setting}`),
      metric("service_create_calls", median(samples.map(calls)), "calls", "Machines API calls from the Service event until every port routes (app, addresses, forwarder, pod updates, reads)"),
      metric("service_create_service_app_calls", median(samples.map((s) => s.serviceAppCalls)), "calls", "of service_create_calls: on the Service app and POST /v1/apps"),
      metric("service_membership_change_ms", median(samples.map((s) => s.membershipMs)), "ms", "relabel one pod out -> no port routes to it"),
      metric("service_membership_change_calls", median(samples.map((s) => s.membershipCalls)), "calls", "Machines API calls of that relabelling"),
      metric("service_update_ms", median(samples.map((s) => s.updateMs)), "ms", "a 4th port added -> it routes to the selected pods"),
      metric("service_update_calls", median(samples.map((s) => s.updateCalls)), "calls", "Machines API calls of that update (forwarder and every selected pod)"),
      metric("service_pod_join_ms", median(samples.map((s) => s.joinMs)), "ms", "a new selected pod's event -> the Service routes to it"),
      metric("service_ready_to_traffic_ms", median(samples.map((s) => s.readyMs)), "ms", "a selected pod's failing readiness check passes -> the Service routes to it (Fly Proxy's own checks)"),
      metric("service_ready_to_traffic_calls", median(samples.map((s) => s.readyCalls)), "calls", "Machines API calls machinelet makes meanwhile: routing needs none (readiness is the service check); it reads the pod's machine to report the pod's Ready condition"),
    ];
  },
};

async function sample(ctx: BenchContext, i: number): Promise<Sample> {
  await ctx.emulator.configure({ latencyMs: 0, bootMs: 0, rateLimits: false });
  const cluster = ctx.newCluster("svc");
  await cluster.prewarm();
  const pods = Array.from({ length: PODS }, (_, k) => webPod(`web-${k}`));
  await cluster.postEvents(pods.map((p) => event("ADDED", p)));
  for (const p of pods) await poll(`pod ${p.metadata.name} to run`, async () => ((await cluster.pod(p.metadata.uid))?.status?.phase === "Running" ? true : undefined), POLL);
  await sleep(SETTLE_MS);
  await ctx.emulator.configure({ latencyMs: LATENCY_MS, bootMs: 0, rateLimits: true });
  const machineOf = async (p: Obj) => (await ctx.emulator.machines(cluster.app)).find((m) => m.config.metadata?.machinelet_pod_uid === p.metadata.uid && m.state !== "destroyed")!.id;
  const from = await machineOf(pods[0]!);
  const machines = new Set(await Promise.all(pods.map(machineOf)));

  // Create: every port routes to every pod.
  let svc = webService(3);
  let stop = ctx.emulator.record();
  let t0 = performance.now();
  await cluster.postEvents([event("ADDED", svc)]);
  const view = await routesTo(ctx, cluster, from, 3, machines);
  const createMs = performance.now() - t0;
  await sleep(SETTLE_MS);
  const createCalls = counted(stop(), cluster);
  const serviceAppCalls = createCalls.filter((c) => c.path === "/v1/apps" || c.path.startsWith(`/v1/apps/${view.fly.serviceApp}`)).length;
  ctx.log(`services sample ${i + 1}: reachable in ${Math.round(createMs)} ms, ${createCalls.length} calls: ${createCalls.map((c) => `${c.method} ${c.path}`).join("; ")}`);

  // Membership: one pod relabelled out.
  const leaving = pods[PODS - 1]!;
  machines.delete(await machineOf(leaving));
  stop = ctx.emulator.record();
  t0 = performance.now();
  await cluster.postEvents([event("MODIFIED", { ...leaving, metadata: { ...leaving.metadata, resourceVersion: String(rv++), labels: { app: "other" } } })]);
  await routesTo(ctx, cluster, from, 3, machines);
  const membershipMs = performance.now() - t0;
  await sleep(SETTLE_MS);
  const membershipCalls = counted(stop(), cluster).length;

  // Update: a fourth port.
  svc = webService(4, svc.metadata.uid, svc.metadata.creationTimestamp);
  stop = ctx.emulator.record();
  t0 = performance.now();
  await cluster.postEvents([event("MODIFIED", svc)]);
  await routesTo(ctx, cluster, from, 4, machines);
  const updateMs = performance.now() - t0;
  await sleep(SETTLE_MS);
  const updateCalls = counted(stop(), cluster).length;

  // Join: a new pod the Service selects, with a readiness probe (its `services` entries carry it as their check).
  const plain = webPod("web-new");
  const joining: Obj = { ...plain, spec: { containers: [{ ...(plain.spec.containers as object[])[0], readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } }] } };
  t0 = performance.now();
  await cluster.postEvents([event("ADDED", joining)]);
  const joined = await poll("the new pod's machine", async () => (await ctx.emulator.machines(cluster.app)).find((m) => m.config.metadata?.machinelet_pod_uid === joining.metadata.uid)?.id, POLL);
  machines.add(joined);
  await routesTo(ctx, cluster, from, 4, machines);
  const joinMs = performance.now() - t0;

  // Ready to traffic: its check fails (the Service stops routing to it), then passes. Fly Proxy
  // routes on its own check results, so this involves no call from machinelet; the emulator
  // applies a check status at once, where Fly sees it at the check's next run.
  const checks = async (status: string) => {
    const r = await fetch(`${ctx.emulator.url}/_emulator/apps/${cluster.app}/machines/${joined}/checks`, { method: "PUT", body: JSON.stringify({ "*": status }) });
    if (!r.ok) throw new Error(`PUT checks of ${joined}: ${r.status} ${await r.text()}`);
  };
  await checks("critical");
  machines.delete(joined);
  await routesTo(ctx, cluster, from, 4, machines);
  machines.add(joined);
  stop = ctx.emulator.record();
  t0 = performance.now();
  await checks("passing");
  await routesTo(ctx, cluster, from, 4, machines);
  const readyMs = performance.now() - t0;
  await sleep(SETTLE_MS);
  const readyLog = counted(stop(), cluster);
  const readyCalls = readyLog.length;
  ctx.log(`services sample ${i + 1}: ready to traffic in ${Math.round(readyMs)} ms, calls: ${readyLog.map((c) => `${c.method} ${c.path}`).join("; ") || "none"}`);

  await cluster.postEvents([...pods, joining].map((p) => event("DELETED", { ...p, metadata: { ...p.metadata, resourceVersion: String(rv++) } })).concat(event("DELETED", { ...svc, metadata: { ...svc.metadata, resourceVersion: String(rv++) } })));
  await ctx.emulator.waitQuiet(3_000, 120_000);
  return { createMs, createCalls, serviceAppCalls, membershipMs, membershipCalls, updateMs, updateCalls, joinMs, readyMs, readyCalls };
}

/** Polls until each of the Service's first `portCount` ports, followed hop by hop from machine `from`, lands on exactly `machines`. */
async function routesTo(ctx: BenchContext, cluster: ClusterClient, from: string, portCount: number, machines: ReadonlySet<string>): Promise<ServiceView> {
  const want = [...machines].sort().join(",");
  return poll(`the Service to route ${portCount} ports to ${machines.size} pods`, async () => {
    const view = await cluster.service("default", "web");
    if (!view?.address || Object.keys(view.fly.hops).length !== portCount) return undefined;
    for (const hops of Object.values(view.fly.hops)) {
      let at = [from];
      for (const hop of hops) {
        const answers = await Promise.all(at.map(async (m) => (await fetch(`${ctx.emulator.url}/_emulator/route?from=${m}&ip=${encodeURIComponent(hop.ip)}&port=${hop.port}`)).json() as Promise<{ targets: { machine_id: string }[] }>));
        at = answers.flatMap((a) => a.targets.map((t) => t.machine_id));
      }
      if ([...new Set(at)].sort().join(",") !== want) return undefined;
    }
    return view;
  }, POLL);
}

/**
 * What one Service event costs the intake in a busy namespace: only the pods the Service selects
 * (before or after) are translated again, not the whole namespace.
 */
async function serviceEventCost(ctx: BenchContext): Promise<number> {
  await ctx.emulator.configure({ latencyMs: 0, bootMs: 0, rateLimits: false });
  const cluster = ctx.newCluster("svcev");
  await cluster.prewarm();
  const bulk = Array.from({ length: BULK_PODS }, (_, k) => {
    const p = webPod(`bulk-${k}`);
    return { ...p, metadata: { ...p.metadata, labels: { app: "bulk" } } };
  });
  await cluster.postEvents(bulk.map((p) => event("ADDED", p)));
  const svc = webService(1);
  await cluster.postEvents([event("ADDED", svc)]);
  const times: number[] = [];
  for (let i = 0; i < EVENTS; i++) {
    const changed = { ...svc, metadata: { ...svc.metadata, resourceVersion: String(rv++) }, spec: { ...svc.spec, ports: [{ name: "p0", port: 80 + (i % 2), targetPort: "http" }] } };
    const t0 = performance.now();
    const [r] = await cluster.postEvents([event("MODIFIED", changed)]);
    times.push(performance.now() - t0);
    if (r?.outcome !== "applied") throw new Error(`Service event not applied: ${JSON.stringify(r)}`);
  }
  await cluster.postEvents(bulk.map((p) => event("DELETED", { ...p, metadata: { ...p.metadata, resourceVersion: String(rv++) } })));
  await cluster.postEvents([event("DELETED", { ...svc, metadata: { ...svc.metadata, resourceVersion: String(rv++) } })]);
  await ctx.emulator.waitQuiet(3_000, 300_000);
  return median(times);
}
