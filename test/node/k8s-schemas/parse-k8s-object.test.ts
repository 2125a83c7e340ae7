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
    { name: "probe port of the wrong type", kind: "Pod", raw: pod({ containers: [{ ...container, livenessProbe: { tcpSocket: { port: true } } }] }), message: "spec.containers[0].livenessProbe.tcpSocket.port: expected a port number or a port name, got boolean" },
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
});

describe("hostile values are refused as the API server refuses them, naming the field", () => {
  const withContainer = (c: Record<string, unknown>) => pod({ containers: [{ ...container, ...c }] });
  const withMeta = (m: Record<string, unknown>) => ({ metadata: { ...meta, ...m }, spec: { containers: [container] } });
  const cases: { name: string; kind: K8sKind; raw: unknown; message: string }[] = [
    { name: "a NUL in the pod name", kind: "Pod", raw: withMeta({ name: "web\u0000x" }), message: "metadata.name: must be a lowercase RFC 1123 subdomain" },
    { name: "an upper-case pod name", kind: "Pod", raw: withMeta({ name: "Web" }), message: "metadata.name: must be a lowercase RFC 1123 subdomain" },
    { name: "a pod name of 254 characters", kind: "Pod", raw: withMeta({ name: "a".repeat(254) }), message: "metadata.name: must be no more than 253 characters" },
    { name: "a dotted namespace", kind: "Pod", raw: withMeta({ namespace: "kube.system" }), message: "metadata.namespace: must be a lowercase RFC 1123 label" },
    { name: "a container name with '_'", kind: "Pod", raw: withContainer({ name: "my_app" }), message: "spec.containers[0].name: must be a lowercase RFC 1123 label" },
    { name: "duplicate container names", kind: "Pod", raw: pod({ initContainers: [container], containers: [container] }), message: 'spec.containers[0].name: Duplicate value: "app"' },
    { name: "a Service name starting with a digit", kind: "Service", raw: { metadata: { ...meta, name: "1web" }, spec: {} }, message: "metadata.name: must be an RFC 1035 label" },
    { name: "cpu -1", kind: "Pod", raw: withContainer({ resources: { limits: { cpu: "-1" } } }), message: "spec.containers[0].resources.limits.cpu: must be greater than or equal to 0" },
    { name: "cpu -100m", kind: "Pod", raw: withContainer({ resources: { requests: { cpu: "-100m" } } }), message: "spec.containers[0].resources.requests.cpu: must be greater than or equal to 0" },
    { name: "memory -1", kind: "Pod", raw: withContainer({ resources: { limits: { memory: -1 } } }), message: "spec.containers[0].resources.limits.memory: must be greater than or equal to 0" },
    { name: "memory -0.5Gi", kind: "Pod", raw: withContainer({ resources: { requests: { memory: "-0.5Gi" } } }), message: "spec.containers[0].resources.requests.memory: must be greater than or equal to 0" },
    { name: "a negative PVC request", kind: "PersistentVolumeClaim", raw: { metadata: meta, spec: { resources: { requests: { storage: "-1Gi" } } } }, message: "spec.resources.requests.storage: must be greater than or equal to 0" },
    { name: "probe port 0", kind: "Pod", raw: withContainer({ readinessProbe: { httpGet: { port: 0 } } }), message: "spec.containers[0].readinessProbe.httpGet.port: must be >= 1" },
    { name: "probe port 65536", kind: "Pod", raw: withContainer({ livenessProbe: { tcpSocket: { port: 65536 } } }), message: "spec.containers[0].livenessProbe.tcpSocket.port: must be <= 65535" },
    { name: "gRPC probe port 0", kind: "Pod", raw: withContainer({ livenessProbe: { grpc: { port: 0 } } }), message: "spec.containers[0].livenessProbe.grpc.port: must be >= 1" },
    { name: "a port name that is not an IANA service name", kind: "Pod", raw: withContainer({ ports: [{ containerPort: 80, name: "http--alt" }] }), message: "spec.containers[0].ports[0].name: must be an IANA service name" },
    { name: "a 4 MiB image", kind: "Pod", raw: withContainer({ image: "x".repeat(4 << 20) }), message: "spec.containers[0].image: must be no more than 1024 characters" },
    { name: "an image with trailing space", kind: "Pod", raw: withContainer({ image: "nginx " }), message: "spec.containers[0].image: must not have leading or trailing whitespace" },
    { name: "a 4 MiB env value", kind: "Pod", raw: withContainer({ env: [{ name: "A", value: "x".repeat(4 << 20) }] }), message: "spec.containers[0].env[0].value: must be no more than 131072 characters" },
    { name: "an env name with '='", kind: "Pod", raw: withContainer({ env: [{ name: "A=B", value: "x" }] }), message: "spec.containers[0].env[0].name: must be printable ASCII characters other than '='" },
    { name: "a 4 MiB command", kind: "Pod", raw: withContainer({ command: ["x".repeat(4 << 20)] }), message: "spec.containers[0].command[0]: must be no more than 131072 characters" },
    { name: "5000 args", kind: "Pod", raw: withContainer({ args: Array(5000).fill("a") }), message: "spec.containers[0].args: must have at most 4096 items" },
    { name: "a label value of 64 characters", kind: "Pod", raw: withMeta({ labels: { app: "a".repeat(64) } }), message: "metadata.labels.app: must be no more than 63 characters" },
    { name: "a label key with a space", kind: "Pod", raw: withMeta({ labels: { "my app": "x" } }), message: 'metadata.labels["my app"]: key must be a qualified name' },
    { name: "annotations over 256 KiB", kind: "Pod", raw: withMeta({ annotations: { a: "x".repeat(256 * 1024) } }), message: "metadata.annotations: may not be more than 262144 bytes in total" },
    { name: "a volume name with '.'", kind: "Pod", raw: pod({ containers: [container], volumes: [{ name: "a.b", emptyDir: {} }] }), message: "spec.volumes[0].name: must be a lowercase RFC 1123 label" },
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
