/**
 * Status feed -> pod status, over real HTTP: the relay patches what the worker reports onto the
 * pod in the stand-in (leaving PodScheduled and terminal pods alone) and finishes deleting pods
 * whose machine is gone, guarded by the pod's UID. One pod's refused or failing writes (through a
 * proxy that answers as a denying or failing webhook would) hold up no other pod. A status someone
 * else changed (the node lifecycle controller marking pods NotReady) is put back with no new entry.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { KubeObject } from "../../../src/relay/kube-api";
import { STRATEGIC_MERGE_PATCH } from "../../../src/relay/pod-status-patch";
import { startFaultyApi, type FaultyApi } from "./api-faults";
import { createPod, getPod, harness, NODE, waitFor, type Harness } from "./helpers";

type Status = { phase?: string; conditions?: { type: string; status: string; reason?: string }[]; containerStatuses?: unknown[]; podIP?: string };
const statusOf = (p: KubeObject | undefined) => (p?.status ?? {}) as Status;

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h?.close();
});

async function boundPod(name: string): Promise<KubeObject> {
  await waitFor("node registered", () => h.relay!.status().nodeRegistered);
  await createPod(h.kube, name);
  return waitFor(`${name} bound`, async () => {
    const p = await getPod(h.kube, name);
    return (p?.spec as { nodeName?: string } | undefined)?.nodeName === NODE && p;
  });
}

const running = (name: string) => ({
  phase: "Running",
  podIP: "fdaa:0:1::3",
  podIPs: [{ ip: "fdaa:0:1::3" }],
  startTime: "2026-11-25T10:00:00Z",
  conditions: [
    { type: "Initialized", status: "True", lastProbeTime: null, lastTransitionTime: "2026-11-25T10:00:00Z" },
    { type: "Ready", status: "True", lastProbeTime: null, lastTransitionTime: "2026-11-25T10:00:01Z" },
    { type: "ContainersReady", status: "True", lastProbeTime: null, lastTransitionTime: "2026-11-25T10:00:01Z" },
    { type: "PodScheduled", status: "False", reason: "FromTheWorker", lastProbeTime: null, lastTransitionTime: "2026-11-25T10:00:00Z" },
  ],
  containerStatuses: [
    { name, image: "docker.io/library/nginx:1.27", imageID: "", containerID: "fly://m1", ready: true, started: true, restartCount: 0, state: { running: { startedAt: "2026-11-25T10:00:01Z" } }, lastState: {} },
  ],
});

describe("status sync", () => {
  it("patches the reported status onto the pod, leaving PodScheduled to the scheduler", async () => {
    await h.start();
    const pod = await boundPod("web");
    h.worker.pushStatus({ uid: pod.metadata.uid!, namespace: "default", name: "web", status: running("main"), gone: false });
    const patched = await waitFor("Running", async () => {
      const p = await getPod(h.kube, "web");
      return statusOf(p).phase === "Running" && p;
    });
    const s = statusOf(patched);
    expect(s.podIP).toBe("fdaa:0:1::3");
    expect(s.containerStatuses).toHaveLength(1);
    const scheduled = s.conditions!.find((c) => c.type === "PodScheduled")!;
    expect(scheduled.status).toBe("True");
    expect(s.conditions!.find((c) => c.type === "Ready")!.status).toBe("True");
    await waitFor("cursor advanced", () => h.relay!.status().cursor === "1");
  });

  it("deletes what a new status no longer has, in both directions (waiting -> running -> waiting)", async () => {
    await h.start();
    const pod = await boundPod("flip");
    const uid = pod.metadata.uid!;
    const waiting = (reason: string, message: string) => ({
      phase: "Pending",
      reason,
      message,
      conditions: [{ type: "Ready", status: "False", reason: "ContainersNotReady", message: "containers with unready status: [main]", lastProbeTime: null, lastTransitionTime: "2026-11-25T10:00:00Z" }],
      containerStatuses: [{ name: "main", image: "nginx:1.27", imageID: "", ready: false, restartCount: 0, state: { waiting: { reason, message } }, lastState: {} }],
    });
    const seen = async (n: number) => {
      await waitFor(`status ${n} written`, () => h.relay!.status().cursor === String(n));
      return statusOf(await getPod(h.kube, "flip")) as Status & { reason?: string; message?: string };
    };

    h.worker.pushStatus({ uid, namespace: "default", name: "flip", status: waiting("RateBudget", "waiting 1.7 s for the Machines API rate budget"), gone: false });
    expect((await seen(1)).reason).toBe("RateBudget");

    h.worker.pushStatus({ uid, namespace: "default", name: "flip", status: running("main"), gone: false });
    const up = await seen(2);
    expect(up.phase).toBe("Running");
    expect(up.reason).toBeUndefined();
    expect(up.message).toBeUndefined();
    const ready = up.conditions!.find((c) => c.type === "Ready")!;
    expect(ready.status).toBe("True");
    expect(Object.keys(ready)).not.toContain("reason");
    expect(Object.keys(ready)).not.toContain("message");
    expect(up.conditions!.find((c) => c.type === "PodScheduled")!.status).toBe("True");

    h.worker.pushStatus({ uid, namespace: "default", name: "flip", status: waiting("ProviderRetrying", "Fly answered 503"), gone: false });
    const down = await seen(3);
    expect(down).toMatchObject({ phase: "Pending", reason: "ProviderRetrying", message: "Fly answered 503" });
    expect(down.podIP).toBeUndefined();
    expect(down.containerStatuses).toEqual([expect.objectContaining({ state: { waiting: { reason: "ProviderRetrying", message: "Fly answered 503" } } })]);
    expect(down.conditions!.map((c) => c.type).sort()).toEqual(["PodScheduled", "Ready"]);
  });

  it("never moves a pod out of a terminal phase", async () => {
    await h.start();
    const pod = await boundPod("job");
    const uid = pod.metadata.uid!;
    h.worker.pushStatus({ uid, namespace: "default", name: "job", status: { ...running("main"), phase: "Succeeded" }, gone: false });
    await waitFor("Succeeded", async () => statusOf(await getPod(h.kube, "job")).phase === "Succeeded");
    h.worker.pushStatus({ uid, namespace: "default", name: "job", status: running("main"), gone: false });
    await waitFor("feed consumed", () => h.relay!.status().cursor === "2");
    expect(statusOf(await getPod(h.kube, "job")).phase).toBe("Succeeded");
  });

  it("deletes a gone pod with grace 0, but not a new pod that took its name", async () => {
    await h.start();
    const old = await boundPod("db-0");
    h.worker.pushStatus({ uid: old.metadata.uid!, namespace: "default", name: "db-0", status: null, gone: true });
    await waitFor("db-0 deleted", async () => (await getPod(h.kube, "db-0")) === undefined);

    const replacement = await boundPod("db-0");
    expect(replacement.metadata.uid).not.toBe(old.metadata.uid);
    // A late "gone" for the old UID, and a status for it, must not touch the new pod.
    h.worker.pushStatus(
      { uid: old.metadata.uid!, namespace: "default", name: "db-0", status: null, gone: true },
      { uid: old.metadata.uid!, namespace: "default", name: "db-0", status: running("main"), gone: false },
    );
    await waitFor("feed consumed", () => h.relay!.status().cursor === "3");
    const still = await getPod(h.kube, "db-0");
    expect(still?.metadata.uid).toBe(replacement.metadata.uid);
    expect(statusOf(still).phase).not.toBe("Running");
  });

  it("keeps the cursor in a file across restarts", async () => {
    const dir = await mkdtemp(join(tmpdir(), "relay-cursor-"));
    const cursorFile = join(dir, "cursor");
    try {
      await h.start({ cursorFile });
      const pod = await boundPod("c");
      h.worker.pushStatus({ uid: pod.metadata.uid!, namespace: "default", name: "c", status: running("main"), gone: false });
      await waitFor("cursor file", async () => (await readFile(cursorFile, "utf8").catch(() => "")).trim() === "1");
      await h.relay!.stop();
      const before = h.worker.feedCursors.length;
      await h.start({ cursorFile });
      await waitFor("a feed request after restart", () => h.worker.feedCursors.length > before + 1);
      // First the one read from 0 that tells the restarted relay every pod's current status (held,
      // not written); then the feed itself resumes from the saved cursor.
      expect(h.worker.feedCursors.slice(before, before + 2)).toEqual(["0", "1"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("status sync: a status others changed is put back", () => {
  /** What the node lifecycle controller's MarkPodsNotReady writes when the Node goes NotReady or Unknown. */
  const markNotReady = (name: string) =>
    h.kube.request("PATCH", `/api/v1/namespaces/default/pods/${name}/status`, {
      body: { status: { conditions: [{ type: "Ready", status: "False", lastProbeTime: null, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z") }] } },
      contentType: STRATEGIC_MERGE_PATCH,
    });
  const readyOf = async (name: string) => statusOf(await getPod(h.kube, name)).conditions?.find((c) => c.type === "Ready")?.status;
  const resourceVersion = async (name: string) => (await getPod(h.kube, name))?.metadata.resourceVersion;
  /** Long enough for the relay to see a MODIFIED event and act on it if it were going to. */
  const settle = () => new Promise((r) => setTimeout(r, 600));

  async function runningPod(name: string, extra: Parameters<Harness["start"]>[0] = {}): Promise<KubeObject> {
    await h.start(extra);
    const pod = await boundPod(name);
    h.worker.pushStatus({ uid: pod.metadata.uid!, namespace: "default", name, status: running("main"), gone: false });
    await waitFor("Ready=True written", async () => (await readyOf(name)) === "True");
    return pod;
  }

  it("puts Ready=True back after the node lifecycle controller set Ready=False, with no new feed entry, and stops there", async () => {
    await runningPod("web");
    await markNotReady("web");
    await waitFor("Ready=True again", async () => (await readyOf("web")) === "True");
    const s = statusOf(await getPod(h.kube, "web"));
    expect(s.conditions!.find((c) => c.type === "PodScheduled")!.status).toBe("True");
    expect(h.relay!.status().cursor).toBe("1");
    // The repair's own MODIFIED event shows the status as held: no further write.
    const rv = await resourceVersion("web");
    await settle();
    expect(await resourceVersion("web")).toBe(rv);
  });

  it("leaves Ready=False while the Node is NotReady (worker unreachable), and puts it back once the Node is Ready", async () => {
    await runningPod("web");
    h.worker.setDown(true);
    await waitFor("node NotReady", () => !h.relay!.status().nodeReady);
    await markNotReady("web");
    await settle();
    expect(await readyOf("web")).toBe("False");
    h.worker.setDown(false);
    await waitFor("Ready=True again", async () => (await readyOf("web")) === "True");
  });

  it("never rewrites a pod that another party moved to a terminal phase", async () => {
    await runningPod("job");
    // As an eviction or the pod garbage collector ends a pod of an unreachable node.
    await h.kube.request("PATCH", "/api/v1/namespaces/default/pods/job/status", {
      body: { status: { phase: "Failed", reason: "Evicted", conditions: [{ type: "Ready", status: "False", lastProbeTime: null, lastTransitionTime: "2026-11-25T11:00:00Z" }] } },
      contentType: STRATEGIC_MERGE_PATCH,
    });
    const rv = await resourceVersion("job");
    await settle();
    expect(await resourceVersion("job")).toBe(rv);
    expect(statusOf(await getPod(h.kube, "job"))).toMatchObject({ phase: "Failed", reason: "Evicted" });
  });

  it("a relay restarted with a saved cursor still repairs a pod marked NotReady while it was away", async () => {
    const dir = await mkdtemp(join(tmpdir(), "relay-cursor-"));
    const cursorFile = join(dir, "cursor");
    try {
      await runningPod("web", { cursorFile });
      await waitFor("cursor file", async () => (await readFile(cursorFile, "utf8").catch(() => "")).trim() === "1");
      await h.relay!.stop();
      await markNotReady("web");
      await h.start({ cursorFile });
      await waitFor("Ready=True again", async () => (await readyOf("web")) === "True");
      expect(h.relay!.status().cursor).toBe("1");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("status sync: one pod's failures hold up no other pod", () => {
  let api: FaultyApi;
  beforeEach(async () => {
    api = await startFaultyApi(h.standin);
    const kubeconfigPath = `${h.kubeconfigPath}-faulty`;
    await writeFile(kubeconfigPath, api.kubeconfig);
    await h.start({ kubeconfigPath });
  });
  afterEach(async () => {
    await h.relay?.stop();
    await api.close();
  });

  const statusPath = (name: string) => `/api/v1/namespaces/default/pods/${name}/status`;
  const runningEntry = (pod: KubeObject) => ({ uid: pod.metadata.uid!, namespace: "default", name: pod.metadata.name!, status: running("main"), gone: false });
  const isRunning = (name: string) => async () => statusOf(await getPod(h.kube, name)).phase === "Running";
  const warnings = () => h.logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.level === "warn");
  /** Long enough for a few retries at the harness's backoff (50..400 ms) to show if there were any. */
  const settle = () => new Promise((r) => setTimeout(r, 600));

  it("skips a status the API server refuses for good (403) and writes the next pod's", async () => {
    const a = await boundPod("a");
    const b = await boundPod("b");
    api.rule = (method, path) =>
      method === "PATCH" && path === statusPath("a") ? { code: 403, reason: "Forbidden", message: 'admission webhook "status-policy.example.com" denied the request: frozen' } : undefined;
    h.worker.pushStatus(runningEntry(a), runningEntry(b));

    await waitFor("b Running", isRunning("b"));
    await waitFor("cursor past both", () => h.relay!.status().cursor === "2");
    await settle();
    expect(api.count("PATCH", statusPath("a"))).toEqual({ faulted: 1, passed: 0 });
    expect(statusOf(await getPod(h.kube, "a")).phase).not.toBe("Running");
    expect(warnings()).toContainEqual(expect.objectContaining({ namespace: "default", name: "a", uid: a.metadata.uid, status: 403, reason: "Forbidden" }));
  });

  it("retries a status that fails for now (500) until written, once, without writing the page's other entries again", async () => {
    const a = await boundPod("a");
    const b = await boundPod("b");
    let failures = 2;
    api.rule = (method, path) =>
      method === "PATCH" && path === statusPath("a") && failures-- > 0
        ? { code: 500, reason: "InternalError", message: 'Internal error occurred: failed calling webhook "status-policy.example.com": connection refused' }
        : undefined;
    const pending = { phase: "Pending", conditions: [{ type: "Ready", status: "False", reason: "ContainersNotReady", lastProbeTime: null, lastTransitionTime: "2026-11-25T10:00:00Z" }] };
    h.worker.pushStatus({ ...runningEntry(b), status: pending }, runningEntry(b), runningEntry(a));

    await waitFor("a Running", isRunning("a"));
    await settle();
    expect(api.count("PATCH", statusPath("a"))).toEqual({ faulted: 2, passed: 1 });
    expect(api.count("PATCH", statusPath("b"))).toEqual({ faulted: 0, passed: 2 });
    expect(statusOf(await getPod(h.kube, "b")).phase).toBe("Running");
    expect(h.relay!.status().cursor).toBe("3");
  });

  it("skips a gone pod whose deletion is refused (403) and goes on with the next entry", async () => {
    const a = await boundPod("a");
    const b = await boundPod("b");
    api.rule = (method, path) =>
      method === "DELETE" && path === "/api/v1/namespaces/default/pods/a" ? { code: 403, reason: "Forbidden", message: 'admission webhook "no-delete.example.com" denied the request' } : undefined;
    h.worker.pushStatus({ uid: a.metadata.uid!, namespace: "default", name: "a", status: null, gone: true }, runningEntry(b));

    await waitFor("b Running", isRunning("b"));
    await waitFor("cursor past both", () => h.relay!.status().cursor === "2");
    await settle();
    expect(api.count("DELETE", "/api/v1/namespaces/default/pods/a")).toEqual({ faulted: 1, passed: 0 });
    expect((await getPod(h.kube, "a"))?.metadata.uid).toBe(a.metadata.uid);
    expect(warnings()).toContainEqual(expect.objectContaining({ name: "a", uid: a.metadata.uid, status: 403, reason: "Forbidden" }));
  });
});
