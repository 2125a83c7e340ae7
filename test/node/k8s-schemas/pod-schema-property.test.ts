// For any mutation of a valid pod, parseK8sObject answers (never throws) and a refusal names a
// field path; what it accepts keeps every name within the API server's rules.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseK8sObject } from "../../../src/shared/k8s";

const base = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web", namespace: "default", uid: "u-1", resourceVersion: "7", labels: { app: "web" } },
  spec: {
    containers: [
      {
        name: "app",
        image: "nginx:1.27",
        env: [{ name: "A", value: "1" }],
        ports: [{ containerPort: 80, name: "http" }],
        readinessProbe: { httpGet: { port: "http", path: "/" } },
        resources: { limits: { cpu: "500m", memory: "128Mi" } },
      },
    ],
    volumes: [{ name: "data", emptyDir: {} }],
  },
};

const paths: string[][] = [];
(function collect(v: unknown, path: string[]) {
  paths.push(path);
  if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) collect(x, [...path, k]);
})(base, []);

const setAt = (obj: unknown, path: string[], value: unknown): unknown => {
  if (path.length === 0) return value;
  const copy = (Array.isArray(obj) ? [...obj] : { ...(obj as object) }) as Record<string, unknown>;
  copy[path[0]!] = setAt(copy[path[0]!], path.slice(1), value);
  return copy;
};

describe("the Pod schema under mutation", () => {
  it("answers every mutation, naming the field of a refusal", () => {
    const value = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.string({ unit: "binary", maxLength: 30 }), fc.constantFrom(-1, 0, 65536, 1.5, "-1", "-0.5Gi", "\u0000", "A_B", "x".repeat(300)));
    fc.assert(
      fc.property(fc.constantFrom(...paths), value, (path, v) => {
        const r = parseK8sObject("Pod", setAt(base, path, v));
        if (!r.ok) expect(r.message).toMatch(/^invalid Pod: (\(object\)|metadata|spec|apiVersion|kind|status)\S*.*: /s);
        else {
          const meta = r.object.metadata;
          expect(meta.name).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
          expect(meta.namespace).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
          for (const c of r.object.spec.containers) expect(c.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
