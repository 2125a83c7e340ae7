// The kubernetes.io/pvc-protection finalizer, over HTTP: added on create by the
// StorageObjectInUseProtection admission plugin, removed by the pvc-protection controller only once
// no scheduled pod names the claim, so a claim deleted while in use stays Terminating.
import { afterAll, beforeAll, describe, it } from "vitest";
import type { Fixture } from "./fixture";
import { eventually, podSpec, raw, startFakeKubelet, startFixture } from "./fixture";

let f: Fixture;
let stopKubelet: () => void;
beforeAll(async () => {
  f = await startFixture();
  stopKubelet = await startFakeKubelet(f.standin, "pvc-node");
});
afterAll(async () => {
  stopKubelet();
  await f.standin.close();
});

const CLAIMS = "/api/v1/namespaces/default/persistentvolumeclaims";
const PODS = "/api/v1/namespaces/default/pods";
const claim = (name: string) => ({ metadata: { name }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } });
const podOn = (name: string, claimName: string, extra: object = {}) => ({
  metadata: { name },
  spec: { ...podSpec(), volumes: [{ name: "data", persistentVolumeClaim: { claimName } }], ...extra },
});
const gone = (path: string) => eventually(async () => ((await raw(f.standin, "GET", path)).status === 404 ? true : undefined), 5000);

/** A claim deleted after `name`'s deletion has been handled: the controller has had a pass that saw both. */
async function afterAPass(name: string): Promise<void> {
  await raw(f.standin, "POST", CLAIMS, { body: claim(name) });
  await raw(f.standin, "DELETE", `${CLAIMS}/${name}`);
  await gone(`${CLAIMS}/${name}`);
}

describe("pvc-protection", () => {
  it("gives every claim the finalizer on create; an unused claim deleted goes", async ({ expect }) => {
    const created = await raw(f.standin, "POST", CLAIMS, { body: claim("unused") });
    expect(created.status).toBe(201);
    expect(created.json().metadata.finalizers).toEqual(["kubernetes.io/pvc-protection"]);
    const deleted = await raw(f.standin, "DELETE", `${CLAIMS}/unused`);
    expect(deleted.json().metadata).toMatchObject({ deletionTimestamp: expect.any(String), finalizers: ["kubernetes.io/pvc-protection"] });
    await gone(`${CLAIMS}/unused`);
  });

  it("keeps a claim a scheduled pod uses Terminating until the pod is gone", async ({ expect }) => {
    await raw(f.standin, "POST", CLAIMS, { body: claim("data-in-use") });
    await raw(f.standin, "POST", PODS, { body: podOn("user", "data-in-use") });
    await eventually(async () => ((await raw(f.standin, "GET", `${PODS}/user`)).json().status.phase === "Running" ? true : undefined), 5000);
    expect((await raw(f.standin, "DELETE", `${CLAIMS}/data-in-use`)).status).toBe(200);
    await afterAPass("probe-1");
    const held = (await raw(f.standin, "GET", `${CLAIMS}/data-in-use`)).json();
    expect(held.metadata).toMatchObject({ deletionTimestamp: expect.any(String), finalizers: ["kubernetes.io/pvc-protection"] });
    const table = await raw(f.standin, "GET", `${CLAIMS}/data-in-use`, { accept: "application/json;as=Table;v=v1;g=meta.k8s.io" });
    expect(table.json().rows[0].cells[1]).toBe("Terminating");

    await raw(f.standin, "DELETE", `${PODS}/user`);
    await gone(`${PODS}/user`);
    await gone(`${CLAIMS}/data-in-use`);
  });

  it("does not count a pod that is not scheduled: the kubelet would never start it on a claim being deleted", async ({ expect }) => {
    await raw(f.standin, "POST", CLAIMS, { body: claim("data-unscheduled") });
    const pod = await raw(f.standin, "POST", PODS, { body: podOn("nowhere", "data-unscheduled", { nodeSelector: { "no-such": "node" } }) });
    expect(pod.status).toBe(201);
    await raw(f.standin, "DELETE", `${CLAIMS}/data-unscheduled`);
    await gone(`${CLAIMS}/data-unscheduled`);
    expect((await raw(f.standin, "GET", `${PODS}/nowhere`)).json().spec.nodeName).toBeUndefined();
  });

  it("gives the finalizer back to a claim that lost it while not being deleted", async ({ expect }) => {
    await raw(f.standin, "POST", CLAIMS, { body: claim("stripped") });
    const patched = await raw(f.standin, "PATCH", `${CLAIMS}/stripped`, { body: { metadata: { finalizers: null } }, contentType: "application/merge-patch+json" });
    expect(patched.status).toBe(200);
    const back = await eventually(async () => {
      const c = (await raw(f.standin, "GET", `${CLAIMS}/stripped`)).json();
      return c.metadata.finalizers?.includes("kubernetes.io/pvc-protection") ? c : undefined;
    }, 5000);
    expect(back.metadata.finalizers).toEqual(["kubernetes.io/pvc-protection"]);
  });

  it("a StatefulSet does not start a pod on its claim while the claim is being deleted: the claim goes, then both are made anew", async ({ expect }) => {
    const set = {
      metadata: { name: "db" },
      spec: {
        serviceName: "db",
        replicas: 1,
        selector: { matchLabels: { set: "db" } },
        template: { metadata: { labels: { set: "db" } }, spec: { ...podSpec(), containers: [{ name: "main", image: "nginx:1.27", volumeMounts: [{ name: "data", mountPath: "/data" }] }] } },
        volumeClaimTemplates: [claim("data")],
      },
    };
    expect((await raw(f.standin, "POST", "/apis/apps/v1/namespaces/default/statefulsets", { body: set })).status).toBe(201);
    const pod = await eventually(async () => {
      const p = (await raw(f.standin, "GET", `${PODS}/db-0`)).json();
      return p.status?.phase === "Running" ? p : undefined;
    }, 5000);
    // Another finalizer holds the claim once its pod is gone, so that it stays "being deleted".
    const SETS = "/apis/apps/v1/namespaces/default/statefulsets";
    const merge = (path: string, body: unknown) => raw(f.standin, "PATCH", path, { body, contentType: "application/merge-patch+json" });
    await merge(`${CLAIMS}/data-db-0`, { metadata: { finalizers: ["kubernetes.io/pvc-protection", "test.machinelet.dev/hold"] } });
    const first = (await raw(f.standin, "DELETE", `${CLAIMS}/data-db-0`)).json();
    await raw(f.standin, "DELETE", `${PODS}/db-0`);
    await gone(`${PODS}/db-0`);
    // A spec change the controller must observe: once it has, it has had a pass with the pod gone.
    const changed = (await merge(SETS + "/db", { spec: { minReadySeconds: 1 } })).json();
    await eventually(async () => ((await raw(f.standin, "GET", `${SETS}/db`)).json().status?.observedGeneration === changed.metadata.generation ? true : undefined), 5000);
    expect((await raw(f.standin, "GET", `${PODS}/db-0`)).status).toBe(404);
    expect((await raw(f.standin, "GET", `${CLAIMS}/data-db-0`)).json().metadata.finalizers).toEqual(["test.machinelet.dev/hold"]);

    await merge(`${CLAIMS}/data-db-0`, { metadata: { finalizers: [] } });
    const again = await eventually(async () => {
      const p = (await raw(f.standin, "GET", `${PODS}/db-0`)).json();
      return p.metadata?.uid && p.metadata.uid !== pod.metadata.uid && p.status?.phase === "Running" ? p : undefined;
    }, 5000);
    const second = (await raw(f.standin, "GET", `${CLAIMS}/data-db-0`)).json();
    expect(second.metadata.uid).not.toBe(first.metadata.uid);
    expect(second.metadata.deletionTimestamp).toBeUndefined();
    expect(again.spec.volumes).toContainEqual({ name: "data", persistentVolumeClaim: { claimName: "data-db-0" } });
  });
});
