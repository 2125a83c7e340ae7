// parseK8sObject accepts real API objects (unknown fields kept) and rejects broken ones with a
// message that names the field path.
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseK8sObject, type K8sKind } from "../../../src/shared/k8s";
import { loadManifests } from "../../fixtures/manifests/load";

const files = readdirSync(new URL("../../fixtures/manifests/", import.meta.url)).filter((f) => f.endsWith(".yaml"));

describe("fixtures", () => {
  const docs = files.flatMap((f) => loadManifests(f).map((o, i) => ({ f, i, o: o as { kind: K8sKind } })));
  it.each(docs)("$f document $i parses", ({ o }) => {
    const r = parseK8sObject(o.kind, o);
    expect(r.ok ? "ok" : r.message).toBe("ok");
  });
});

const meta = { name: "web", namespace: "default", uid: "u-1", resourceVersion: "7" };
const pod = (spec: unknown, extra: Record<string, unknown> = {}) => ({ apiVersion: "v1", kind: "Pod", metadata: meta, spec, ...extra });
const container = { name: "app", image: "nginx" };

describe("unknown fields", () => {
  it("are tolerated and kept", () => {
    const r = parseK8sObject("Pod", pod({ containers: [{ ...container, futureField: { x: 1 } }], schedulingGroup: "g" }, { extra: true }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.object.spec.containers[0]).toMatchObject({ futureField: { x: 1 } });
    expect(r.object).toMatchObject({ extra: true, spec: { schedulingGroup: "g" } });
  });
});

describe("rejections name the field", () => {
  const cases: { name: string; kind: K8sKind; raw: unknown; message: string }[] = [
    { name: "image of the wrong type", kind: "Pod", raw: pod({ containers: [{ name: "app", image: 3 }] }), message: "spec.containers[0].image: expected string, got number" },
    { name: "missing image", kind: "Pod", raw: pod({ containers: [{ name: "app" }] }), message: "spec.containers[0].image: required" },
    { name: "missing containers", kind: "Pod", raw: pod({}), message: "spec.containers: required" },
    { name: "empty containers", kind: "Pod", raw: pod({ containers: [] }), message: "spec.containers: must not be empty" },
    { name: "missing spec", kind: "Pod", raw: { metadata: meta }, message: "spec: required" },
    { name: "missing uid", kind: "Pod", raw: { metadata: { ...meta, uid: undefined }, spec: { containers: [container] } }, message: "metadata.uid: required" },
    { name: "resourceVersion as a number", kind: "Pod", raw: { metadata: { ...meta, resourceVersion: 7 }, spec: { containers: [container] } }, message: "metadata.resourceVersion: expected string, got number" },
    { name: "unknown restartPolicy", kind: "Pod", raw: pod({ containers: [container], restartPolicy: "Sometimes" }), message: 'spec.restartPolicy: expected one of "Always", "OnFailure", "Never"' },
    { name: "negative grace period", kind: "Pod", raw: pod({ containers: [container], terminationGracePeriodSeconds: -1 }), message: "spec.terminationGracePeriodSeconds: must be >= 0" },
    { name: "fractional grace period", kind: "Pod", raw: pod({ containers: [container], terminationGracePeriodSeconds: 1.5 }), message: "spec.terminationGracePeriodSeconds: expected int, got non-integer number" },
    { name: "malformed quantity", kind: "Pod", raw: pod({ containers: [{ ...container, resources: { limits: { memory: "lots" } } }] }), message: 'spec.containers[0].resources.limits.memory: expected a quantity such as "500m", "2", "128Mi" or "1G"' },
    { name: "probe port of the wrong type", kind: "Pod", raw: pod({ containers: [{ ...container, livenessProbe: { tcpSocket: { port: true } } }] }), message: "spec.containers[0].livenessProbe.tcpSocket.port: expected an integer or a string, got boolean" },
    { name: "label value not a string", kind: "Pod", raw: { metadata: { ...meta, labels: { "app.kubernetes.io/version": 2 } }, spec: { containers: [container] } }, message: 'metadata.labels["app.kubernetes.io/version"]: expected string, got number' },
    { name: "another kind", kind: "Pod", raw: { ...pod({ containers: [container] }), kind: "Service" }, message: 'kind: expected "Pod"' },
    { name: "service port out of range", kind: "Service", raw: { metadata: meta, spec: { ports: [{ port: 70000 }] } }, message: "spec.ports[0].port: must be <= 65535" },
    { name: "secret data not base64", kind: "Secret", raw: { metadata: meta, data: { token: "not base64!" } }, message: "data.token: expected base64" },
    { name: "configmap data not strings", kind: "ConfigMap", raw: { metadata: meta, data: { n: 1 } }, message: "data.n: expected string, got number" },
    { name: "pvc without spec", kind: "PersistentVolumeClaim", raw: { metadata: meta }, message: "spec: required" },
    { name: "not an object", kind: "Secret", raw: "Secret", message: "(object): expected object, got string" },
  ];
  it.each(cases)("$name", ({ kind, raw, message }) => {
    const r = parseK8sObject(kind, raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain(message);
  });

  it("lists at most three problems", () => {
    const r = parseK8sObject("Pod", pod({ containers: [{}, {}, {}] }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(/^invalid Pod: spec\.containers\[0\]\.name: required; .*; and 3 more$/);
  });
});
