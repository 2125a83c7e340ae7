/**
 * A ConfigMap or Secret between machinelet's limit for one object (512 KiB) and Kubernetes' own
 * cap (1 MiB) is valid in the cluster: the worker keeps it as a stub without its data, so a pod
 * that uses it waits saying why (not "not found"), it starts once the object is small again, and a
 * relist snapshot holding it is taken. A larger pod still is rejected, and refuses its snapshot.
 */
import { describe, expect, it } from "vitest";
import { eventually, getPod, newCluster, pod, podPhase, postEvents, signedFetch } from "./helpers";

let rv = 5_000;
const CANARY = "canary-oversized-7d2e";
/** 600,000 characters of base64: 450,000 bytes of data, over 512 KiB as JSON once a key and padding are counted. */
const bulk = (seed: string) => btoa(seed.repeat(Math.ceil(450_000 / seed.length)).slice(0, 450_000));
const secret = (data: Record<string, string>, uid: string) => ({ apiVersion: "v1", kind: "Secret", metadata: { name: "big", namespace: "default", uid, resourceVersion: String(++rv) }, data });
const configMap = (data: Record<string, string>, uid: string) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "big", namespace: "default", uid, resourceVersion: String(++rv) }, data });
const waitingOf = async (cluster: string, uid: string) => {
  const v = await getPod(cluster, uid);
  return (v?.status.containerStatuses?.[0] as { state?: { waiting?: { reason?: string; message?: string } } } | undefined)?.state?.waiting;
};
const snapshotOf = (over: Record<string, unknown[]>) => ({ pods: [], services: [], secrets: [], configMaps: [], persistentVolumeClaims: [], ...over });

describe("a ConfigMap or Secret too large for the worker, valid in Kubernetes", () => {
  it("a ConfigMap: kept without its data, its pod waits saying so, and starts once it is small again", async () => {
    const { cluster } = newCluster("oversize");
    const uid = crypto.randomUUID();
    const big = configMap({ "big.txt": bulk(`${CANARY} `) }, uid);
    expect(JSON.stringify(big).length).toBeGreaterThan(512 * 1024);
    expect(JSON.stringify(big).length).toBeLessThan(1 << 20);
    const p = pod({ spec: { containers: [{ name: "web", image: "nginx", volumeMounts: [{ name: "b", mountPath: "/big" }] }], volumes: [{ name: "b", configMap: { name: "big" } }] } });
    const results = await postEvents(cluster, [{ type: "ADDED", object: big }, { type: "ADDED", object: p }]);
    expect(results[0]).toMatchObject({ uid, kind: "ConfigMap", outcome: "applied", message: expect.stringMatching(/^kept without its data, its pods wait: data\["big\.txt"\]: the object is larger than 524288 bytes/) });

    const waiting = await eventually("pod waiting", async () => {
      const w = await waitingOf(cluster, p.metadata.uid);
      return w?.reason === "ContainerCreating" && w.message?.includes("too large") && w;
    });
    expect(waiting.message).toBe(`MountVolume.SetUp failed for volume "b" : ConfigMap "big" is too large for machinelet (data["big.txt"]: the object is larger than 524288 bytes, machinelet's limit for one object)`);
    expect(JSON.stringify(await getPod(cluster, p.metadata.uid))).not.toContain(CANARY);

    // The relist snapshot holding it is taken (200), not refused whole; the pod stays as it was.
    const res = await signedFetch(`/v1/clusters/${cluster}/reconcile`, { body: { snapshot: snapshotOf({ pods: [p], configMaps: [big] }) } });
    expect(res.status, await res.clone().text()).toBe(200);
    expect((await waitingOf(cluster, p.metadata.uid))?.message).toContain("too large");

    await postEvents(cluster, [{ type: "MODIFIED", object: configMap({ "big.txt": "small" }, uid) }]);
    await podPhase(cluster, p.metadata.uid, "Running");
    await postEvents(cluster, [{ type: "DELETED", object: p }]);
  });

  it("a Secret: kept without its data (no value anywhere), an env reference waits with CreateContainerConfigError", async () => {
    const { cluster } = newCluster("oversize");
    const uid = crypto.randomUUID();
    const big = secret({ blob: bulk(`${CANARY} `), password: btoa(CANARY) }, uid);
    const p = pod({ spec: { containers: [{ name: "web", image: "nginx", env: [{ name: "P", valueFrom: { secretKeyRef: { name: "big", key: "password" } } }] }] } });
    const results = await postEvents(cluster, [{ type: "ADDED", object: big }, { type: "ADDED", object: p }]);
    expect(results[0]).toMatchObject({ uid, kind: "Secret", outcome: "applied" });
    const waiting = await eventually("pod waiting", async () => {
      const w = await waitingOf(cluster, p.metadata.uid);
      return w?.reason === "CreateContainerConfigError" && w.message?.includes("too large") && w;
    });
    expect(waiting.message).toMatch(/^Secret "big" is too large for machinelet \(data\.blob: the object is larger than 524288 bytes/);
    const answered = JSON.stringify([results, await getPod(cluster, p.metadata.uid)]);
    expect(answered).not.toContain(CANARY);
    expect(answered).not.toContain(btoa(CANARY));
    await postEvents(cluster, [{ type: "DELETED", object: p }]);
  });

  it("a pod that large is still rejected, and a snapshot holding it is refused whole", async () => {
    const { cluster } = newCluster("oversize");
    const p = pod({ metadata: { annotations: { note: "x".repeat(600_000) } } });
    const [result] = await postEvents(cluster, [{ type: "ADDED", object: p }]);
    expect(result).toMatchObject({ outcome: "rejected", message: expect.stringMatching(/the object is larger than 524288 bytes/) });
    expect(await getPod(cluster, p.metadata.uid)).toBeUndefined();
    const res = await signedFetch(`/v1/clusters/${cluster}/reconcile`, { body: { snapshot: snapshotOf({ pods: [p] }) } });
    expect(res.status).toBe(400);
  });
});
