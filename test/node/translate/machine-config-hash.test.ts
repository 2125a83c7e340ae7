// machineConfigHash changes exactly when the Machine must change.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Pod } from "../../../src/shared/k8s";
import { canonicalJson, fnv1a64, machineConfigHash } from "../../../src/worker/translate/machine-config-hash";
import { podToMachineConfig } from "../../../src/worker/translate/pod-to-machine-config";
import { loadObject } from "../../fixtures/manifests/load";

const hashOf = (pod: Pod) => {
  const r = podToMachineConfig(pod, { cluster: "staging" });
  if (!r.ok) throw new Error(r.errors.join("\n"));
  return machineConfigHash(r.config);
};
// downward-api-multi.yaml mounts all labels as a file, so its labels are part of its Machine.
const labelBlind = ["nginx-deployment-pod.yaml", "redis-exec-probes.yaml", "init-and-sidecar.yaml", "job-pi.yaml", "postgres-performance.yaml", "gpu-ollama.yaml"];
const fixtures = [...labelBlind, "downward-api-multi.yaml"];

describe("machineConfigHash", () => {
  it("ignores key order", () => {
    expect(machineConfigHash({ image: "a", env: { A: "1", B: "2" } })).toBe(machineConfigHash({ env: { B: "2", A: "1" }, image: "a" }));
    expect(canonicalJson({ b: [{ d: 1, c: 2 }], a: undefined })).toBe('{"b":[{"c":2,"d":1}]}');
  });

  it("is 16 hex digits and sees every value", () => {
    const base = { image: "nginx:1.27", guest: { cpus: 1, memory_mb: 256 } };
    expect(machineConfigHash(base)).toMatch(/^[0-9a-f]{16}$/);
    expect(machineConfigHash({ ...base, image: "nginx:1.28" })).not.toBe(machineConfigHash(base));
    expect(machineConfigHash({ ...base, guest: { cpus: 1, memory_mb: 512 } })).not.toBe(machineConfigHash(base));
    expect(machineConfigHash({ ...base, env: {} })).not.toBe(machineConfigHash(base));
  });

  it.each(labelBlind)("%s: labels, unrelated annotations and versions do not change it", (file) => {
    const pod = loadObject(file, "Pod");
    const relabelled: Pod = {
      ...pod,
      metadata: {
        ...pod.metadata,
        labels: { ...pod.metadata.labels, "rollout.example.com/canary": "true" },
        annotations: { ...pod.metadata.annotations, "kubectl.kubernetes.io/last-applied-configuration": "{}" },
        resourceVersion: "999999",
        generation: 7,
      },
      status: { phase: "Running" },
    };
    expect(hashOf(relabelled)).toBe(hashOf(pod));
  });

  it.each(fixtures)("%s: an image change changes it", (file) => {
    const pod = loadObject(file, "Pod");
    const changed: Pod = { ...pod, spec: { ...pod.spec, containers: pod.spec.containers.map((c, i) => (i === 0 ? { ...c, image: `${c.image}-next` } : c)) } };
    expect(hashOf(changed)).not.toBe(hashOf(pod));
  });

  it("labels read through the downward API do change it", () => {
    const pod = loadObject("downward-api-multi.yaml", "Pod");
    const relabelled: Pod = { ...pod, metadata: { ...pod.metadata, labels: { ...pod.metadata.labels, tier: "frontend" } } };
    expect(hashOf(relabelled)).not.toBe(hashOf(pod));
  });
});

describe("fnv1a64", () => {
  /** The textbook definition, in BigInt: what every stored hash was made with. */
  const reference = (text: string) => {
    let h = 0xcbf29ce484222325n;
    for (const b of new TextEncoder().encode(text)) h = ((h ^ BigInt(b)) * 0x100000001b3n) & ((1n << 64n) - 1n);
    return h.toString(16).padStart(16, "0");
  };

  it("matches the published test vectors", () => {
    expect(fnv1a64("")).toBe("cbf29ce484222325");
    expect(fnv1a64("a")).toBe("af63dc4c8601ec8c");
    expect(fnv1a64("foobar")).toBe("85944171f73967e8");
  });

  it("equals the 64-bit definition on any text (stored hashes stay valid)", () => {
    fc.assert(fc.property(fc.string({ unit: "grapheme", maxLength: 200 }), (s) => fnv1a64(s) === reference(s)));
  });
});
