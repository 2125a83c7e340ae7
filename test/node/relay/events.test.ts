/**
 * Informers -> signed events -> worker, over real HTTP against the K8s stand-in: objects arrive
 * as raw API JSON with kind/apiVersion, in order per object; a snapshot follows the first sync.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createPod, harness, NODE, waitFor, type Harness } from "./helpers";

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h?.close();
});

describe("relay events", () => {
  it("forwards listed objects as raw JSON and sends a snapshot once every informer has synced", async () => {
    await h.kube.request("POST", "/api/v1/namespaces/default/secrets", { body: { metadata: { name: "s1" }, data: { k: "dg==" } } });
    await h.kube.request("POST", "/api/v1/namespaces/default/configmaps", { body: { metadata: { name: "c1" }, data: { k: "v" } } });
    await h.start();
    const snap = await waitFor("a snapshot", () => h.worker.snapshots[0]);
    expect(Object.keys(snap.snapshot).sort()).toEqual(["configMaps", "persistentVolumeClaims", "pods", "secrets", "services"]);
    expect(snap.snapshot.secrets!.map((s) => s.metadata.name)).toEqual(["s1"]);
    expect(snap.snapshot.services!.map((s) => s.metadata.name)).toContain("kubernetes");
    const secret = h.worker.events.find((e) => e.object.kind === "Secret" && e.object.metadata.name === "s1")!;
    expect(secret.type).toBe("ADDED");
    expect(secret.object.apiVersion).toBe("v1");
    expect(secret.object.data).toEqual({ k: "dg==" });
    expect(secret.object.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(h.worker.badSignatures).toEqual([]);
  });

  it("forwards a pod's life on the virtual node in order", async () => {
    await h.start();
    await waitFor("synced", () => h.relay!.status().informersSynced);
    const pod = await createPod(h.kube, "web");
    const uid = pod.metadata.uid!;
    await waitFor("bound pod event", () => h.worker.events.some((e) => e.object.metadata.uid === uid && (e.object.spec as { nodeName?: string }).nodeName === NODE));
    await h.kube.request("PATCH", "/api/v1/namespaces/default/pods/web", { body: { metadata: { labels: { v: "2" } } }, contentType: "application/merge-patch+json" });
    await h.kube.request("DELETE", "/api/v1/namespaces/default/pods/web", { body: { gracePeriodSeconds: 0 } });
    await waitFor("DELETED", () => h.worker.events.some((e) => e.object.metadata.uid === uid && e.type === "DELETED"));
    const mine = h.worker.events.filter((e) => e.object.metadata.uid === uid);
    expect(mine.at(-1)!.type).toBe("DELETED");
    const rvs = mine.map((e) => Number(e.object.metadata.resourceVersion));
    expect(rvs).toEqual([...rvs].sort((a, b) => a - b));
    expect(mine.some((e) => (e.object.metadata.labels as Record<string, string>).v === "2")).toBe(true);
    expect(mine.every((e) => e.object.kind === "Pod" && e.object.apiVersion === "v1")).toBe(true);
  });
});

describe("relay event delivery while the worker fails", () => {
  it("retries failed batches and keeps per-object order", async () => {
    await h.start();
    await waitFor("first snapshot", () => h.worker.snapshots.length > 0);
    h.worker.failNextEvents(3);
    const a = await createPod(h.kube, "a");
    await h.kube.request("PATCH", "/api/v1/namespaces/default/pods/a", { body: { metadata: { labels: { step: "1" } } }, contentType: "application/merge-patch+json" });
    await waitFor("labelled pod a", () => h.worker.events.some((e) => e.object.metadata.uid === a.metadata.uid && (e.object.metadata.labels as Record<string, string>).step === "1"));
    const rvs = h.worker.events.filter((e) => e.object.metadata.uid === a.metadata.uid).map((e) => Number(e.object.metadata.resourceVersion));
    expect(rvs).toEqual([...rvs].sort((x, y) => x - y));
    expect(h.worker.badSignatures).toEqual([]);
  });

  it("coalesces changes while the worker is down but never loses a DELETED", async () => {
    await h.start();
    await waitFor("first snapshot", () => h.worker.snapshots.length > 0);
    h.worker.setDown(true);
    const p = await createPod(h.kube, "churn");
    for (let i = 0; i < 5; i++) {
      await h.kube.request("PATCH", "/api/v1/namespaces/default/pods/churn", { body: { metadata: { labels: { step: String(i) } } }, contentType: "application/merge-patch+json" });
    }
    await h.kube.request("DELETE", "/api/v1/namespaces/default/pods/churn", { body: { gracePeriodSeconds: 0 } });
    await waitFor("pod gone from the cache", () => h.relay!.status().pendingEvents > 0);
    h.worker.setDown(false);
    const deleted = await waitFor("DELETED of churn", () => h.worker.events.find((e) => e.object.metadata.uid === p.metadata.uid && e.type === "DELETED"));
    expect((deleted.object.metadata.labels as Record<string, string>).step).toBe("4");
    // Binding plus six writes, but one pending entry per object: far fewer deliveries than changes.
    expect(h.worker.events.filter((e) => e.object.metadata.uid === p.metadata.uid).length).toBeLessThanOrEqual(2);
  });
});
