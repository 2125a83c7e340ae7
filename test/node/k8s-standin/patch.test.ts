// The three patch formats as pure functions: RFC 6902, RFC 7386 and strategic merge with its directives.
import { describe, expect, it } from "vitest";
import { ApiError } from "../../../src/k8s/standin/api-errors";
import { applyJsonPatch, applyPatch, mergePatch, patchTypeOf } from "../../../src/k8s/standin/patch";
import { strategicMerge } from "../../../src/k8s/standin/strategic-merge";

describe("JSON Patch (RFC 6902)", () => {
  const doc = { a: { b: [1, 2, 3] }, c: "x" };
  it.each([
    [[{ op: "add", path: "/a/b/1", value: 9 }], { a: { b: [1, 9, 2, 3] }, c: "x" }],
    [[{ op: "add", path: "/a/b/-", value: 4 }], { a: { b: [1, 2, 3, 4] }, c: "x" }],
    [[{ op: "remove", path: "/a/b/0" }], { a: { b: [2, 3] }, c: "x" }],
    [[{ op: "replace", path: "/c", value: "y" }], { a: { b: [1, 2, 3] }, c: "y" }],
    [[{ op: "move", from: "/c", path: "/d" }], { a: { b: [1, 2, 3] }, d: "x" }],
    [[{ op: "copy", from: "/c", path: "/a/e" }], { a: { b: [1, 2, 3], e: "x" }, c: "x" }],
    [[{ op: "test", path: "/a/b", value: [1, 2, 3] }, { op: "add", path: "/a~1b", value: 1 }], { a: { b: [1, 2, 3] }, c: "x", "a/b": 1 }],
  ])("%j", (ops, expected) => {
    expect(applyJsonPatch(doc, ops)).toEqual(expected);
    expect(doc).toEqual({ a: { b: [1, 2, 3] }, c: "x" });
  });

  it.each([
    [[{ op: "remove", path: "/nope" }], 422],
    [[{ op: "replace", path: "/a/b/7", value: 1 }], 422],
    [[{ op: "test", path: "/c", value: "z" }], 422],
    [[{ op: "frobnicate", path: "/c" }], 400],
    [[{ path: "/c" }], 400],
  ])("refuses %j with %i", (ops, code) => {
    expect(() => applyJsonPatch(doc, ops)).toThrow(expect.objectContaining({ code }));
  });
});

describe("JSON Merge Patch (RFC 7386)", () => {
  it("merges maps, deletes on null, replaces lists", () => {
    expect(mergePatch({ a: { b: 1, c: 2 }, l: [1, 2], k: 1 }, { a: { b: null, d: 3 }, l: [3], k: null })).toEqual({ a: { c: 2, d: 3 }, l: [3] });
  });
});

describe("strategic merge patch", () => {
  const pod = {
    metadata: { name: "p", labels: { a: "1" }, finalizers: ["x"] },
    spec: {
      containers: [
        { name: "main", image: "nginx:1", env: [{ name: "A", value: "1" }, { name: "B", value: "2" }], ports: [{ containerPort: 80 }] },
        { name: "side", image: "envoy" },
      ],
      tolerations: [{ key: "t1" }],
      volumes: [{ name: "data", emptyDir: {} }],
    },
    status: {
      conditions: [{ type: "PodScheduled", status: "True" }, { type: "Ready", status: "False" }],
      containerStatuses: [{ name: "main", ready: false }, { name: "side", ready: false }],
      podIPs: [{ ip: "10.0.0.1" }],
    },
  };

  it("merges list elements on their merge keys and replaces lists that have none", () => {
    const out = strategicMerge("Pod", pod, {
      spec: { containers: [{ name: "main", env: [{ name: "B", value: "3" }, { name: "C", value: "4" }] }], tolerations: [{ key: "t2" }] },
      status: { conditions: [{ type: "Ready", status: "True" }], containerStatuses: [{ name: "main", ready: true }] },
    });
    expect(out.spec).toEqual({
      containers: [
        { name: "main", image: "nginx:1", env: [{ name: "A", value: "1" }, { name: "B", value: "3" }, { name: "C", value: "4" }], ports: [{ containerPort: 80 }] },
        { name: "side", image: "envoy" },
      ],
      tolerations: [{ key: "t2" }],
      volumes: [{ name: "data", emptyDir: {} }],
    });
    expect((out.status as any).conditions).toEqual([{ type: "PodScheduled", status: "True" }, { type: "Ready", status: "True" }]);
    expect((out.status as any).containerStatuses).toEqual([{ name: "main", ready: true }]);
  });

  it("merges a workload's pod template as a pod's spec: `kubectl patch deployment` of one container keeps the others and its image", () => {
    const deployment = { spec: { replicas: 2, template: { metadata: { labels: { app: "a" } }, spec: pod.spec } }, status: { conditions: [{ type: "Available", status: "True" }] } };
    for (const kind of ["Deployment", "ReplicaSet", "StatefulSet", "Job"]) {
      const out = strategicMerge(kind, deployment, { spec: { template: { spec: { containers: [{ name: "main", readinessProbe: { tcpSocket: { port: 80 } } }] } } }, status: { conditions: [{ type: "Progressing", status: "True" }] } });
      expect((out.spec as any).template.spec.containers, kind).toEqual([{ ...pod.spec.containers[0], readinessProbe: { tcpSocket: { port: 80 } } }, pod.spec.containers[1]]);
      expect((out.status as any).conditions, kind).toEqual([{ type: "Available", status: "True" }, { type: "Progressing", status: "True" }]);
    }
  });

  it("honours $patch delete and replace, $deleteFromPrimitiveList, $setElementOrder and $retainKeys", () => {
    const out = strategicMerge("Pod", pod, {
      metadata: { labels: { $patch: "replace", b: "2" }, finalizers: ["y"], "$deleteFromPrimitiveList/finalizers": ["x"] },
      spec: {
        containers: [{ name: "side", $patch: "delete" }],
        "$setElementOrder/volumes": [{ name: "cache" }, { name: "data" }],
        volumes: [{ name: "cache", emptyDir: {} }, { name: "data", hostPath: { path: "/d" }, $retainKeys: ["name", "hostPath"] }],
      },
      status: { podIPs: [{ $patch: "replace" }, { ip: "fdaa::1" }] },
    });
    expect(out.metadata).toEqual({ name: "p", labels: { b: "2" }, finalizers: ["y"] });
    expect((out.spec as any).containers.map((c: any) => c.name)).toEqual(["main"]);
    expect((out.spec as any).volumes).toEqual([{ name: "cache", emptyDir: {} }, { name: "data", hostPath: { path: "/d" } }]);
    expect((out.status as any).podIPs).toEqual([{ ip: "fdaa::1" }]);
  });

  it("refuses an element without its merge key with 422", () => {
    expect(() => applyPatch("Pod", "strategic", pod, { spec: { containers: [{ image: "x" }] } })).toThrow(expect.objectContaining({ code: 422 }));
  });
});

describe("patch media types", () => {
  it.each([
    ["application/json-patch+json", "json"],
    ["application/merge-patch+json; charset=utf-8", "merge"],
    ["application/strategic-merge-patch+json", "strategic"],
  ])("%s is %s", (contentType, type) => {
    expect(patchTypeOf(contentType)).toBe(type);
  });

  it("answers anything else (server-side apply included) with 415", () => {
    expect(() => patchTypeOf("application/apply-patch+yaml")).toThrow(ApiError);
    expect(() => patchTypeOf(undefined)).toThrow(expect.objectContaining({ code: 415 }));
  });
});
