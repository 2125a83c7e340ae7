// A pod's life on the virtual node as the relay drives it: scheduling, status write-back by strategic
// merge patch with the kubelet's UID trick, graceful deletion, finalizers, and the final delete.
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, it } from "vitest";
import type { Fixture } from "./fixture";
import { EventLog, eventually, podSpec, raw, startFixture } from "./fixture";

const NODE = "fks-test";
let f: Fixture;
beforeAll(async () => {
  f = await startFixture();
  await f.core.createNode({ body: { metadata: { name: NODE } } });
});
afterAll(async () => {
  await f.standin.close();
});

const smp = setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch);
const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

async function scheduledPod(name: string, extra: Record<string, unknown> = {}) {
  await f.core.createNamespacedPod({ namespace: "default", body: { metadata: { name, ...extra }, spec: podSpec() } });
  return eventually(async () => {
    const pod = await f.core.readNamespacedPod({ name, namespace: "default" });
    return pod.spec?.nodeName ? pod : undefined;
  });
}

describe("scheduling", () => {
  it("binds a new pod to the virtual node with PodScheduled=True, once", async ({ expect }) => {
    const rv = (await f.core.listNamespacedPod({ namespace: "default" })).metadata?.resourceVersion ?? "";
    const log = await EventLog.open(f.kc, "/api/v1/namespaces/default/pods", { resourceVersion: rv, fieldSelector: "metadata.name=bound" });
    const pod = await scheduledPod("bound");
    expect(pod.spec?.nodeName).toBe(NODE);
    expect(pod.status?.conditions).toEqual([expect.objectContaining({ type: "PodScheduled", status: "True" })]);
    const events = await log.until((e) => e.length >= 2);
    log.close();
    expect(events.map((e) => e.type)).toEqual(["ADDED", "MODIFIED"]);
    expect(events[0]?.object.spec.nodeName).toBeUndefined();
  });

  it("leaves pods of other schedulers alone", async ({ expect }) => {
    await f.core.createNamespacedPod({ namespace: "default", body: { metadata: { name: "custom" }, spec: { ...podSpec(), schedulerName: "my-scheduler" } } });
    await scheduledPod("after-custom");
    const custom = await f.core.readNamespacedPod({ name: "custom", namespace: "default" });
    expect(custom.spec?.nodeName).toBeUndefined();
  });

  it("keeps pods Unschedulable until the virtual node registers, then binds them", async ({ expect }) => {
    const other = await startFixture();
    try {
      await other.core.createNamespacedPod({ namespace: "default", body: { metadata: { name: "waiting" }, spec: podSpec() } });
      const pending = await eventually(async () => {
        const pod = await other.core.readNamespacedPod({ name: "waiting", namespace: "default" });
        return pod.status?.conditions?.length ? pod : undefined;
      });
      expect(pending.status?.conditions?.[0]).toMatchObject({ type: "PodScheduled", status: "False", reason: "Unschedulable" });
      await other.core.createNode({ body: { metadata: { name: "late-node" } } });
      const bound = await eventually(async () => {
        const pod = await other.core.readNamespacedPod({ name: "waiting", namespace: "default" });
        return pod.spec?.nodeName ? pod : undefined;
      });
      expect(bound.status?.conditions).toEqual([expect.objectContaining({ type: "PodScheduled", status: "True" })]);
    } finally {
      await other.standin.close();
    }
  });

  it("serves pods/binding and refuses to bind twice", async ({ expect }) => {
    await f.core.createNamespacedPod({ namespace: "default", body: { metadata: { name: "manual" }, spec: { ...podSpec(), schedulerName: "manual" } } });
    const target = { apiVersion: "v1", kind: "Binding", metadata: { name: "manual" }, target: { apiVersion: "v1", kind: "Node", name: NODE } };
    expect((await raw(f.standin, "POST", "/api/v1/namespaces/default/pods/manual/binding", { body: target })).status).toBe(201);
    const again = await raw(f.standin, "POST", "/api/v1/namespaces/default/pods/manual/binding", { body: target });
    expect(again.status).toBe(409);
    expect(again.json().message).toContain(`is already assigned to node "${NODE}"`);
  });
});

describe("status write-back", () => {
  it("merges conditions by type, replaces containerStatuses whole, ignores spec and bumps the resourceVersion", async ({ expect }) => {
    const pod = await scheduledPod("status");
    const uid = pod.metadata?.uid ?? "";
    const running = (name: string) => ({ name, image: "nginx:1.27", imageID: "", ready: true, restartCount: 0, started: true, state: { running: { startedAt: "2026-01-01T00:00:00.123Z" } } });
    const first = await f.core.patchNamespacedPodStatus(
      {
        name: "status",
        namespace: "default",
        body: {
          metadata: { uid },
          spec: { nodeName: "elsewhere" },
          status: { phase: "Running", podIP: "fdaa::1", conditions: [{ type: "Ready", status: "True" }], containerStatuses: [running("main"), running("extra")] },
        },
      },
      smp,
    );
    expect(first.status?.phase).toBe("Running");
    expect(first.spec?.nodeName).toBe(NODE);
    expect(first.status?.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual(["PodScheduled=True", "Ready=True"]);
    const second = await f.core.patchNamespacedPodStatus(
      { name: "status", namespace: "default", body: { metadata: { uid }, status: { conditions: [{ type: "Ready", status: "False", reason: "ContainersNotReady" }], containerStatuses: [running("main")] } } },
      smp,
    );
    expect(second.status?.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual(["PodScheduled=True", "Ready=False"]);
    expect(second.status?.containerStatuses?.map((c) => c.name)).toEqual(["main"]);
    expect(Number(second.metadata?.resourceVersion)).toBeGreaterThan(Number(first.metadata?.resourceVersion));
    // Timestamps are stored as the API server stores a metav1.Time: to the second.
    const stored = (await raw(f.standin, "GET", "/api/v1/namespaces/default/pods/status")).json();
    expect(stored.status.containerStatuses[0].state.running.startedAt).toBe("2026-01-01T00:00:00Z");
  });

  it("rejects a status patch whose metadata.uid names another pod (the kubelet's UID trick)", async ({ expect }) => {
    await scheduledPod("recreated");
    const res = await raw(f.standin, "PATCH", "/api/v1/namespaces/default/pods/recreated/status", {
      body: { metadata: { uid: "00000000-0000-0000-0000-000000000000" }, status: { phase: "Running" } },
      contentType: "application/strategic-merge-patch+json",
    });
    expect(res.status).toBe(422);
    expect(res.json()).toMatchObject({ reason: "Invalid", details: { causes: [{ field: "metadata.uid", message: expect.stringContaining("field is immutable") }] } });
    const pod = await f.core.readNamespacedPod({ name: "recreated", namespace: "default" });
    expect(pod.status?.phase).toBe("Pending");
  });

  it("answers a PUT naming another uid with 409 (the UID is a precondition there)", async ({ expect }) => {
    const pod = await scheduledPod("put-uid");
    const res = await raw(f.standin, "PUT", "/api/v1/namespaces/default/pods/put-uid/status", {
      body: { ...pod, metadata: { ...pod.metadata, uid: "00000000-0000-0000-0000-000000000000" } },
    });
    expect(res.status).toBe(409);
    expect(res.json().message).toContain("Precondition failed: UID in precondition: 00000000-0000-0000-0000-000000000000");
  });
});

describe("graceful deletion", () => {
  it("marks the pod, shortens on request, refuses a stale UID and removes it on grace 0", async ({ expect }) => {
    const pod = await scheduledPod("graceful");
    const uid = pod.metadata?.uid ?? "";
    const log = await EventLog.open(f.kc, "/api/v1/namespaces/default/pods", { resourceVersion: pod.metadata?.resourceVersion ?? "", fieldSelector: "metadata.name=graceful" });
    const before = Date.now();
    const marked = (await raw(f.standin, "DELETE", "/api/v1/namespaces/default/pods/graceful", { body: { propagationPolicy: "Background" } })).json();
    expect(marked.metadata.deletionGracePeriodSeconds).toBe(30);
    const deadline = Date.parse(marked.metadata.deletionTimestamp);
    expect(deadline).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 29_000);
    expect((await f.core.readNamespacedPod({ name: "graceful", namespace: "default" })).metadata?.deletionTimestamp).toBeDefined();

    const again = (await raw(f.standin, "DELETE", "/api/v1/namespaces/default/pods/graceful")).json();
    expect(again.metadata.resourceVersion).toBe(marked.metadata.resourceVersion);
    const shorter = (await raw(f.standin, "DELETE", "/api/v1/namespaces/default/pods/graceful?gracePeriodSeconds=5")).json();
    expect(shorter.metadata.deletionGracePeriodSeconds).toBe(5);

    const wrongUid = await raw(f.standin, "DELETE", "/api/v1/namespaces/default/pods/graceful", { body: { gracePeriodSeconds: 0, preconditions: { uid: "someone-else" } } });
    expect(wrongUid.status).toBe(409);
    expect(wrongUid.json()).toMatchObject({
      reason: "Conflict",
      message: `Operation cannot be fulfilled on Pod "graceful": the UID in the precondition (someone-else) does not match the UID in record (${uid}). The object might have been deleted and then recreated`,
    });

    await f.core.deleteNamespacedPod({ name: "graceful", namespace: "default", gracePeriodSeconds: 0, body: { gracePeriodSeconds: 0, preconditions: { uid } } });
    expect((await raw(f.standin, "GET", "/api/v1/namespaces/default/pods/graceful")).status).toBe(404);
    const events = await log.until((e) => e.some((ev) => ev.type === "DELETED"));
    log.close();
    // As the API server does it, the final delete first writes grace 0, then removes the pod.
    expect(events.map((e) => `${e.type}:${e.object.metadata.deletionGracePeriodSeconds ?? "-"}`)).toEqual(["MODIFIED:30", "MODIFIED:5", "MODIFIED:0", "DELETED:0"]);
    // A shortened deadline counts from the original request, not from now.
    expect(Date.parse(events[1]?.object.metadata.deletionTimestamp)).toBe(deadline - 25_000);
  });

  it("deletes a finished pod at once", async ({ expect }) => {
    const pod = await scheduledPod("finished");
    await f.core.patchNamespacedPodStatus({ name: "finished", namespace: "default", body: { metadata: { uid: pod.metadata?.uid }, status: { phase: "Succeeded" } } }, smp);
    await f.core.deleteNamespacedPod({ name: "finished", namespace: "default" });
    expect((await raw(f.standin, "GET", "/api/v1/namespaces/default/pods/finished")).status).toBe(404);
  });

  it("keeps an object with finalizers until the last one is removed", async ({ expect }) => {
    const pod = await scheduledPod("finalized", { finalizers: ["example.com/hold"] });
    await f.core.deleteNamespacedPod({ name: "finalized", namespace: "default", gracePeriodSeconds: 0 });
    const held = await f.core.readNamespacedPod({ name: "finalized", namespace: "default" });
    expect(held.metadata?.deletionGracePeriodSeconds).toBe(0);
    expect(held.metadata?.deletionTimestamp).toBeDefined();
    const log = await EventLog.open(f.kc, "/api/v1/namespaces/default/pods", { resourceVersion: held.metadata?.resourceVersion ?? "", fieldSelector: "metadata.name=finalized" });
    await f.core.patchNamespacedPod({ name: "finalized", namespace: "default", body: { metadata: { finalizers: null } } }, mergePatch);
    const events = await log.until((e) => e.length >= 1);
    log.close();
    expect(events.map((e) => e.type)).toEqual(["DELETED"]);
    expect((await raw(f.standin, "GET", "/api/v1/namespaces/default/pods/finalized")).status).toBe(404);
    expect(pod.metadata?.finalizers).toEqual(["example.com/hold"]);
  });
});
