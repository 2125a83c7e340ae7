// CRUD through @kubernetes/client-node over real HTTPS, and the Status bodies the stand-in answers
// errors with (checked raw, as the API server sends them).
import { ApiException, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Fixture } from "./fixture";
import { podSpec, raw, startFixture } from "./fixture";

let f: Fixture;
beforeAll(async () => {
  f = await startFixture();
});
afterAll(async () => {
  await f.standin.close();
});

async function apiError(call: Promise<unknown>): Promise<ApiException<unknown>> {
  try {
    await call;
  } catch (err) {
    if (err instanceof ApiException) return err;
    throw err;
  }
  throw new Error("expected the call to fail");
}

describe("a fresh stand-in", () => {
  it("has the default namespaces and the kubernetes Service", async ({ expect }) => {
    const namespaces = await f.core.listNamespace();
    expect(namespaces.items.map((ns) => ns.metadata?.name).sort()).toEqual(["default", "kube-node-lease", "kube-public", "kube-system"]);
    const svc = await f.core.readNamespacedService({ name: "kubernetes", namespace: "default" });
    expect(svc.spec?.clusterIP).toBe("10.43.0.1");
  });

  it("refuses requests without the bearer token, with a 401 Status", async ({ expect }) => {
    const res = await raw(f.standin, "GET", "/api/v1/pods", { token: "wrong" });
    expect(res.status).toBe(401);
    expect(res.json()).toMatchObject({ kind: "Status", status: "Failure", reason: "Unauthorized", code: 401 });
    expect((await raw(f.standin, "GET", "/version", { token: null })).json()).toMatchObject({ major: "1", minor: "32" });
  });
});

describe("pods", () => {
  it("creates with generateName, uid, creationTimestamp, resourceVersion and API defaults", async ({ expect }) => {
    const pod = await f.core.createNamespacedPod({ namespace: "default", body: { metadata: { generateName: "gen-" }, spec: podSpec() } });
    expect(pod.metadata?.name).toMatch(/^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(pod.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(pod.metadata?.resourceVersion).toMatch(/^\d+$/);
    const rawPod = (await raw(f.standin, "GET", `/api/v1/namespaces/default/pods/${pod.metadata?.name}`)).json();
    expect(rawPod.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(rawPod).toMatchObject({
      kind: "Pod",
      apiVersion: "v1",
      spec: { restartPolicy: "Always", schedulerName: "default-scheduler", terminationGracePeriodSeconds: 30, containers: [{ imagePullPolicy: "IfNotPresent" }] },
      status: { phase: "Pending", qosClass: "BestEffort" },
    });
  });

  it("lists without kind/apiVersion on items and with the list's resourceVersion", async ({ expect }) => {
    await f.core.createNamespacedPod({ namespace: "default", body: { metadata: { name: "listed" }, spec: podSpec() } });
    const list = (await raw(f.standin, "GET", "/api/v1/namespaces/default/pods")).json();
    expect(list).toMatchObject({ kind: "PodList", apiVersion: "v1" });
    expect(Number(list.metadata.resourceVersion)).toBeGreaterThanOrEqual(Math.max(...list.items.map((p: any) => Number(p.metadata.resourceVersion))));
    const item = list.items.find((p: any) => p.metadata.name === "listed");
    expect(item.kind).toBeUndefined();
    expect(item.apiVersion).toBeUndefined();
  });

  it("pages with limit and continue", async ({ expect }) => {
    await f.core.createNamespace({ body: { metadata: { name: "paging" } } });
    for (const name of ["a", "b", "c"]) await f.core.createNamespacedConfigMap({ namespace: "paging", body: { metadata: { name } } });
    const first = await f.core.listNamespacedConfigMap({ namespace: "paging", limit: 2 });
    expect(first.items.map((c) => c.metadata?.name)).toEqual(["a", "b"]);
    expect(first.metadata?.remainingItemCount).toBe(1);
    const second = await f.core.listNamespacedConfigMap({ namespace: "paging", limit: 2, _continue: first.metadata?._continue ?? "" });
    expect(second.items.map((c) => c.metadata?.name)).toEqual(["c"]);
    expect(second.metadata?._continue).toBeUndefined();
    expect(second.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
  });

  it("answers a duplicate create with 409 AlreadyExists", async ({ expect }) => {
    await f.core.createNamespacedPod({ namespace: "default", body: { metadata: { name: "dup" }, spec: podSpec() } });
    const res = await raw(f.standin, "POST", "/api/v1/namespaces/default/pods", { body: { metadata: { name: "dup" }, spec: podSpec() } });
    expect(res.status).toBe(409);
    expect(res.json()).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: 'pods "dup" already exists',
      reason: "AlreadyExists",
      details: { name: "dup", kind: "pods" },
      code: 409,
    });
  });

  it("answers a missing object with 404 NotFound, and a missing namespace likewise", async ({ expect }) => {
    const err = await apiError(f.core.readNamespacedPod({ name: "nope", namespace: "default" }));
    expect(err.code).toBe(404);
    const res = await raw(f.standin, "GET", "/api/v1/namespaces/default/pods/nope");
    expect(res.json()).toMatchObject({ reason: "NotFound", message: 'pods "nope" not found', details: { name: "nope", kind: "pods" }, code: 404 });
    const create = await raw(f.standin, "POST", "/api/v1/namespaces/ghost/pods", { body: { metadata: { name: "p" }, spec: podSpec() } });
    expect(create.status).toBe(404);
    expect(create.json().message).toBe('namespaces "ghost" not found');
  });

  it("answers invalid objects with 422 Invalid naming each field", async ({ expect }) => {
    const res = await raw(f.standin, "POST", "/api/v1/namespaces/default/pods", { body: { metadata: { name: "Bad_Name" }, spec: { containers: [{ name: "c" }] } } });
    expect(res.status).toBe(422);
    const status = res.json();
    expect(status).toMatchObject({ reason: "Invalid", code: 422, details: { name: "Bad_Name", kind: "Pod" } });
    expect(status.details.causes.map((c: any) => c.field)).toEqual(["metadata.name", "spec.containers[0].image"]);
    expect(status.message).toMatch(/^Pod "Bad_Name" is invalid: \[metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
  });

  it("rejects a PUT with a stale resourceVersion with 409 Conflict, and accepts a current one", async ({ expect }) => {
    // A scheduler nobody runs, so that only this test writes the pod.
    const pod = await f.core.createNamespacedPod({ namespace: "default", body: { metadata: { name: "put-me" }, spec: { ...podSpec(), schedulerName: "nobody" } } });
    const updated = await f.core.replaceNamespacedPod({ name: "put-me", namespace: "default", body: { ...pod, metadata: { ...pod.metadata, labels: { v: "1" } } } });
    expect(updated.metadata?.labels).toEqual({ v: "1" });
    expect(Number(updated.metadata?.resourceVersion)).toBeGreaterThan(Number(pod.metadata?.resourceVersion));
    const stale = await raw(f.standin, "PUT", "/api/v1/namespaces/default/pods/put-me", { body: { ...pod, metadata: { ...pod.metadata, labels: { v: "2" } } } });
    expect(stale.status).toBe(409);
    expect(stale.json()).toMatchObject({
      reason: "Conflict",
      message: 'Operation cannot be fulfilled on pods "put-me": the object has been modified; please apply your changes to the latest version and try again',
    });
  });

  it("forbids pod spec changes other than images", async ({ expect }) => {
    const pod = await f.core.createNamespacedPod({ namespace: "default", body: { metadata: { name: "immutable" }, spec: podSpec() } });
    const image = await f.core.patchNamespacedPod(
      { name: "immutable", namespace: "default", body: { spec: { containers: [{ name: "main", image: "nginx:1.28" }] } } },
      setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
    );
    expect(image.spec?.containers[0]?.image).toBe("nginx:1.28");
    const res = await raw(f.standin, "PATCH", "/api/v1/namespaces/default/pods/immutable", {
      body: { spec: { restartPolicy: "Never" } },
      contentType: "application/merge-patch+json",
    });
    expect(res.status).toBe(422);
    expect(res.json().message).toContain("pod updates may not change fields other than");
    expect(pod.metadata?.uid).toBe(image.metadata?.uid);
  });

  it("patches with JSON Patch (client-node's default), merge patch and strategic merge patch", async ({ expect }) => {
    await f.core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "patched", labels: { a: "1" } }, data: { x: "1" } } });
    const json = await f.core.patchNamespacedConfigMap({ name: "patched", namespace: "default", body: [{ op: "add", path: "/data/y", value: "2" }] });
    expect(json.data).toEqual({ x: "1", y: "2" });
    const merge = await f.core.patchNamespacedConfigMap(
      { name: "patched", namespace: "default", body: { data: { x: null }, metadata: { labels: { b: "2" } } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    expect(merge.data).toEqual({ y: "2" });
    expect(merge.metadata?.labels).toEqual({ a: "1", b: "2" });
    const failedTest = await raw(f.standin, "PATCH", "/api/v1/namespaces/default/configmaps/patched", {
      body: [{ op: "test", path: "/data/y", value: "nope" }],
      contentType: "application/json-patch+json",
    });
    expect(failedTest.status).toBe(422);
    const unsupported = await raw(f.standin, "PATCH", "/api/v1/namespaces/default/configmaps/patched", { body: "a: b", contentType: "application/apply-patch+yaml" });
    expect(unsupported.status).toBe(415);
  });

  it("leaves a write that changes nothing without a new resourceVersion", async ({ expect }) => {
    const cm = await f.core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "same" }, data: { k: "v" } } });
    const again = await f.core.patchNamespacedConfigMap(
      { name: "same", namespace: "default", body: { data: { k: "v" } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    expect(again.metadata?.resourceVersion).toBe(cm.metadata?.resourceVersion);
  });

  it("takes JSON and YAML bodies, refuses a protobuf body without a kind, and answers other media types with 415", async ({ expect }) => {
    const yaml = await raw(f.standin, "POST", "/api/v1/namespaces/default/configmaps", { body: "metadata:\n  name: from-yaml\ndata:\n  k: v\n", contentType: "application/yaml" });
    expect(yaml.status).toBe(201);
    expect(yaml.json().data).toEqual({ k: "v" });
    const protobuf = await raw(f.standin, "POST", "/api/v1/namespaces/default/configmaps", { body: "k8s\u0000", contentType: "application/vnd.kubernetes.protobuf" });
    expect(protobuf.status).toBe(400);
    expect(protobuf.json().message).toBe("the protobuf body names no apiVersion and kind");
    const notProtobuf = await raw(f.standin, "POST", "/api/v1/namespaces/default/configmaps", { body: "{}", contentType: "application/vnd.kubernetes.protobuf" });
    expect(notProtobuf.json().message).toMatch(/does not start with the Kubernetes protobuf prefix/);
    const text = await raw(f.standin, "POST", "/api/v1/namespaces/default/configmaps", { body: "k=v", contentType: "text/plain" });
    expect(text.status).toBe(415);
    expect(text.json().reason).toBe("UnsupportedMediaType");
  });

  it("deletes an unscheduled pod at once, answering with the object", async ({ expect }) => {
    await f.core.createNamespacedPod({ namespace: "default", body: { metadata: { name: "gone" }, spec: { ...podSpec(), schedulerName: "nobody" } } });
    const res = await raw(f.standin, "DELETE", "/api/v1/namespaces/default/pods/gone");
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ kind: "Pod", metadata: { name: "gone" } });
    expect((await raw(f.standin, "GET", "/api/v1/namespaces/default/pods/gone")).status).toBe(404);
  });
});

describe("other kinds", () => {
  it("allocates a Service ClusterIP and defaults its ports", async ({ expect }) => {
    const svc = await f.core.createNamespacedService({ namespace: "default", body: { metadata: { name: "web" }, spec: { selector: { app: "web" }, ports: [{ port: 80 }] } } });
    expect(svc.spec?.clusterIP).toMatch(/^10\.43\.\d+\.\d+$/);
    expect(svc.spec?.clusterIP).not.toBe("10.43.0.1");
    expect(svc.spec?.ports?.[0]).toMatchObject({ port: 80, protocol: "TCP", targetPort: 80 });
    expect(svc.spec?.type).toBe("ClusterIP");
    const bad = await raw(f.standin, "POST", "/api/v1/namespaces/default/services", { body: { metadata: { name: "noports" }, spec: {} } });
    expect(bad.status).toBe(422);
    expect(bad.json().details.causes[0].field).toBe("spec.ports");
  });

  it("stores Secret stringData as base64 data and never returns stringData", async ({ expect }) => {
    const secret = await f.core.createNamespacedSecret({ namespace: "default", body: { metadata: { name: "creds" }, stringData: { password: "hunter2" } } });
    expect(secret.data).toEqual({ password: Buffer.from("hunter2").toString("base64") });
    expect(secret.type).toBe("Opaque");
    expect(secret.stringData).toBeUndefined();
  });

  it("answers a Secret delete with a Success Status", async ({ expect }) => {
    await f.core.createNamespacedSecret({ namespace: "default", body: { metadata: { name: "bye" }, data: { k: "dg==" } } });
    const res = await raw(f.standin, "DELETE", "/api/v1/namespaces/default/secrets/bye");
    expect(res.json()).toMatchObject({ kind: "Status", status: "Success", details: { name: "bye", kind: "secrets" } });
  });

  it("creates PersistentVolumeClaims Pending and requires access modes and storage", async ({ expect }) => {
    const pvc = await f.core.createNamespacedPersistentVolumeClaim({
      namespace: "default",
      body: { metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } },
    });
    expect(pvc.status?.phase).toBe("Pending");
    expect(pvc.spec?.volumeMode).toBe("Filesystem");
    const bad = await raw(f.standin, "POST", "/api/v1/namespaces/default/persistentvolumeclaims", { body: { metadata: { name: "bad" }, spec: {} } });
    expect(bad.json().details.causes.map((c: any) => c.field)).toEqual(["spec.accessModes", "spec.resources[storage]"]);
  });

  it("resizes only a Bound claim, and never below status.capacity (ValidatePersistentVolumeClaimUpdate)", async ({ expect }) => {
    const base = "/api/v1/namespaces/default/persistentvolumeclaims";
    await raw(f.standin, "POST", base, { body: { metadata: { name: "grow" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } } });
    const size = (storage: string) => ({ body: { spec: { resources: { requests: { storage } } } }, contentType: "application/merge-patch+json" });
    const pending = await raw(f.standin, "PATCH", `${base}/grow`, size("2Gi"));
    expect(pending.status).toBe(422);
    expect(pending.json().message).toContain("spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims");

    const bound = await raw(f.standin, "PATCH", `${base}/grow/status`, { body: { status: { phase: "Bound", capacity: { storage: "1Gi" }, accessModes: ["ReadWriteOnce"] } }, contentType: "application/merge-patch+json" });
    expect(bound.status).toBe(200);
    expect((await raw(f.standin, "PATCH", `${base}/grow`, size("3Gi"))).status).toBe(200);
    const shrink = await raw(f.standin, "PATCH", `${base}/grow`, size("1Gi"));
    expect(shrink.status).toBe(422);
    expect(shrink.json().details.causes).toEqual([expect.objectContaining({ field: "spec.resources.requests.storage", message: "Forbidden: field can not be less than status.capacity" })]);
    // Above status.capacity a smaller request is allowed (recovering from a failed expansion).
    expect((await raw(f.standin, "PATCH", `${base}/grow`, size("2Gi"))).status).toBe(200);
  });

  it("records Events selectable by the object they are about", async ({ expect }) => {
    const involvedObject = { kind: "Pod", namespace: "default", name: "web-0", uid: "u-1" };
    await f.core.createNamespacedEvent({
      namespace: "default",
      body: { metadata: { name: "web-0.1" }, involvedObject, reason: "Started", type: "Normal", message: "Started container main", lastTimestamp: new Date("2026-01-01T00:00:00.250Z") },
    });
    await f.core.createNamespacedEvent({ namespace: "default", body: { metadata: { name: "other.1" }, involvedObject: { ...involvedObject, name: "other" }, reason: "Pulled" } });
    const events = await f.core.listNamespacedEvent({ namespace: "default", fieldSelector: "involvedObject.name=web-0,involvedObject.kind=Pod" });
    expect(events.items.map((e) => e.reason)).toEqual(["Started"]);
    const stored = (await raw(f.standin, "GET", "/api/v1/namespaces/default/events/web-0.1")).json();
    expect(stored.lastTimestamp).toBe("2026-01-01T00:00:00Z");
    const misplaced = await raw(f.standin, "POST", "/api/v1/namespaces/kube-system/events", { body: { metadata: { name: "x.1" }, involvedObject } });
    expect(misplaced.status).toBe(422);
  });

  it("deletes a namespace and everything in it", async ({ expect }) => {
    await f.core.createNamespace({ body: { metadata: { name: "doomed" } } });
    await f.core.createNamespacedConfigMap({ namespace: "doomed", body: { metadata: { name: "cm" } } });
    const ns = await f.core.deleteNamespace({ name: "doomed" });
    expect(ns).toBeDefined();
    const refused = await raw(f.standin, "POST", "/api/v1/namespaces/doomed/configmaps", { body: { metadata: { name: "late" } } });
    expect([403, 404]).toContain(refused.status);
    await expect.poll(async () => (await raw(f.standin, "GET", "/api/v1/namespaces/doomed")).status).toBe(404);
    expect((await raw(f.standin, "DELETE", "/api/v1/namespaces/default")).status).toBe(403);
  });
});

it("serves discovery for kubectl and client libraries", async () => {
  expect((await raw(f.standin, "GET", "/api")).json()).toMatchObject({ kind: "APIVersions", versions: ["v1"] });
  const v1 = (await raw(f.standin, "GET", "/api/v1")).json();
  expect(v1.resources.map((r: any) => r.name)).toEqual(
    expect.arrayContaining(["pods", "pods/status", "pods/binding", "services", "secrets", "configmaps", "persistentvolumeclaims", "nodes", "nodes/status", "namespaces"]),
  );
  expect((await raw(f.standin, "GET", "/apis")).json().groups.map((g: any) => g.name)).toEqual(["coordination.k8s.io", "apps", "batch", "discovery.k8s.io", "admissionregistration.k8s.io"]);
  const apps = (await raw(f.standin, "GET", "/apis/apps/v1")).json().resources;
  expect(apps.find((r: any) => r.name === "deployments/scale")).toMatchObject({ group: "autoscaling", version: "v1", kind: "Scale", verbs: ["get", "patch", "update"] });
  expect((await raw(f.standin, "GET", "/apis/coordination.k8s.io/v1")).json().resources[0]).toMatchObject({ name: "leases", kind: "Lease", namespaced: true });
  expect((await raw(f.standin, "GET", "/api/v2")).status).toBe(404);
});
