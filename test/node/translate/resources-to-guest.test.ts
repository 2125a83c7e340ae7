// The documented rounding rule of resourcesToGuest, case by case.
import { describe, expect, it } from "vitest";
import type { PodSpec } from "../../../src/shared/k8s";
import { resourcesToGuest } from "../../../src/worker/translate/resources-to-guest";
import { loadObject } from "../../fixtures/manifests/load";
import { makePod } from "./pods";

type R = Record<string, string | number>;
const c = (name: string, requests?: R, limits?: R, extra: Record<string, unknown> = {}) => ({
  name,
  image: "busybox",
  resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) },
  ...extra,
});
const sidecar = (name: string, requests: R) => c(name, requests, undefined, { restartPolicy: "Always" });
const spec = (s: Record<string, unknown>): PodSpec => makePod(s).spec;

describe("resourcesToGuest", () => {
  const sized: { name: string; spec: PodSpec; annotations?: Record<string, string>; guest: Record<string, unknown> }[] = [
    { name: "no resources: shared-cpu-1x 256 MB", spec: spec({ containers: [{ name: "a", image: "x" }] }), guest: { cpu_kind: "shared", cpus: 1, memory_mb: 256 } },
    { name: "small requests fit the default", spec: spec({ containers: [c("a", { cpu: "100m", memory: "128Mi" })] }), guest: { cpu_kind: "shared", cpus: 1, memory_mb: 256 } },
    { name: "memory rounds up to 256 MB", spec: spec({ containers: [c("a", { cpu: 1, memory: "300Mi" })] }), guest: { cpu_kind: "shared", cpus: 1, memory_mb: 512 } },
    { name: "decimal memory (1G = 954 MiB) rounds up", spec: spec({ containers: [c("a", { memory: "1G" })] }), guest: { cpu_kind: "shared", cpus: 1, memory_mb: 1024 } },
    { name: "cpu rounds up to a preset and memory to its minimum", spec: spec({ containers: [c("a", { cpu: "1500m" })] }), guest: { cpu_kind: "shared", cpus: 2, memory_mb: 512 } },
    { name: "3 CPUs take the 4x preset", spec: spec({ containers: [c("a", { cpu: 3 })] }), guest: { cpu_kind: "shared", cpus: 4, memory_mb: 1024 } },
    { name: "memory per CPU above 2048 raises shared CPUs", spec: spec({ containers: [c("a", { cpu: 1, memory: "4Gi" })] }), guest: { cpu_kind: "shared", cpus: 2, memory_mb: 4096 } },
    { name: "the largest shared guest", spec: spec({ containers: [c("a", { cpu: 8, memory: "16Gi" })] }), guest: { cpu_kind: "shared", cpus: 8, memory_mb: 16384 } },
    { name: "more than 8 CPUs is performance", spec: spec({ containers: [c("a", { cpu: 9 })] }), guest: { cpu_kind: "performance", cpus: 10, memory_mb: 20480 } },
    { name: "more than 16 GB on shared is performance, memory in 2048 steps", spec: spec({ containers: [c("a", { cpu: 1, memory: "17Gi" })] }), guest: { cpu_kind: "performance", cpus: 4, memory_mb: 18432 } },
    { name: "the largest guest", spec: spec({ containers: [c("a", { cpu: 16, memory: "128Gi" })] }), guest: { cpu_kind: "performance", cpus: 16, memory_mb: 131072 } },
    { name: "annotation pins performance", spec: spec({ containers: [c("a", { cpu: 1, memory: "1Gi" })] }), annotations: { "fly.io/cpu-kind": "performance" }, guest: { cpu_kind: "performance", cpus: 1, memory_mb: 2048 } },
    { name: "performance memory rounds up to 2048", spec: spec({ containers: [c("a", { cpu: 2, memory: "5Gi" })] }), annotations: { "fly.io/cpu-kind": "performance" }, guest: { cpu_kind: "performance", cpus: 2, memory_mb: 6144 } },
    { name: "limits win over requests", spec: spec({ containers: [c("a", { cpu: 1, memory: "256Mi" }, { cpu: 2, memory: "1Gi" })] }), guest: { cpu_kind: "shared", cpus: 2, memory_mb: 1024 } },
    { name: "requests count where no limit is set", spec: spec({ containers: [c("a", { cpu: 2 }, { memory: "512Mi" })] }), guest: { cpu_kind: "shared", cpus: 2, memory_mb: 512 } },
    { name: "app containers add up", spec: spec({ containers: [c("a", { cpu: "500m" }), c("b", { cpu: "500m" }), c("c", { cpu: "500m" })] }), guest: { cpu_kind: "shared", cpus: 2, memory_mb: 512 } },
    { name: "millicores add up without float noise", spec: spec({ containers: [c("a", { cpu: "100m" }), c("b", { cpu: "200m" }), c("c", { cpu: "700m" })] }), guest: { cpu_kind: "shared", cpus: 1, memory_mb: 256 } },
    { name: "a big init container sizes the pod", spec: spec({ initContainers: [c("i", { cpu: 2, memory: "2Gi" })], containers: [c("a", { cpu: "500m", memory: "256Mi" })] }), guest: { cpu_kind: "shared", cpus: 2, memory_mb: 2048 } },
    { name: "sidecars add to the app containers", spec: spec({ initContainers: [sidecar("s", { cpu: 1, memory: "1Gi" })], containers: [c("a", { cpu: 1, memory: "1Gi" })] }), guest: { cpu_kind: "shared", cpus: 2, memory_mb: 2048 } },
    { name: "an init container after a sidecar runs beside it", spec: spec({ initContainers: [sidecar("s", { cpu: 1 }), c("i", { cpu: 2 })], containers: [c("a", { cpu: "500m" })] }), guest: { cpu_kind: "shared", cpus: 4, memory_mb: 1024 } },
    { name: "pod-level resources replace the sum", spec: spec({ resources: { limits: { cpu: 4, memory: "2Gi" } }, containers: [c("a", { cpu: 1 }), c("b", { cpu: 1 })] }), guest: { cpu_kind: "shared", cpus: 4, memory_mb: 2048 } },
    { name: "a Fly GPU gets at least performance-8x 32 GB", spec: spec({ containers: [c("a", undefined, { "gpu.fly.io/l40s": 1, cpu: 2 })] }), guest: { cpu_kind: "performance", cpus: 8, memory_mb: 32768, gpu_kind: "l40s", gpus: 1 } },
    { name: "GPU counts round up to 1, 2, 4, 8", spec: spec({ containers: [c("a", undefined, { "gpu.fly.io/a100-80gb": 3 })] }), guest: { cpu_kind: "performance", cpus: 8, memory_mb: 32768, gpu_kind: "a100-sxm4-80gb", gpus: 4 } },
    { name: "GPU fly-go kind names are accepted", spec: spec({ containers: [c("a", undefined, { "gpu.fly.io/a100-pcie-40gb": 1, memory: "64Gi" })] }), guest: { cpu_kind: "performance", cpus: 8, memory_mb: 65536, gpu_kind: "a100-pcie-40gb", gpus: 1 } },
  ];
  it.each(sized)("$name", ({ spec, annotations, guest }) => {
    const r = resourcesToGuest(spec, annotations);
    expect(r.errors).toEqual([]);
    expect(r.guest).toEqual(guest);
  });

  const rejected: { name: string; spec: PodSpec; annotations?: Record<string, string>; error: RegExp }[] = [
    { name: "more than 16 CPUs", spec: spec({ containers: [c("a", { cpu: 17 })] }), error: /needs 17 CPUs .* largest performance Fly guest \(performance-16x, 131072 MB\)/ },
    { name: "more than 128 GB", spec: spec({ containers: [c("a", { memory: "129Gi" })] }), error: /largest performance Fly guest/ },
    { name: "shared pinned but too big", spec: spec({ containers: [c("a", { cpu: 9 })] }), annotations: { "fly.io/cpu-kind": "shared" }, error: /largest shared Fly guest \(shared-cpu-8x, 16384 MB\)/ },
    { name: "unknown cpu kind", spec: spec({ containers: [c("a")] }), annotations: { "fly.io/cpu-kind": "dedicated" }, error: /fly\.io\/cpu-kind.*expected "shared" or "performance"/ },
    { name: "GPU on shared", spec: spec({ containers: [c("a", undefined, { "gpu.fly.io/l40s": 1 })] }), annotations: { "fly.io/cpu-kind": "shared" }, error: /GPU Machines run on performance CPUs/ },
    { name: "more than 8 GPUs", spec: spec({ containers: [c("a", undefined, { "gpu.fly.io/l40s": 9 })] }), error: /limits\["gpu\.fly\.io\/l40s"\]: at most 8 GPUs/ },
    { name: "unknown GPU kind", spec: spec({ containers: [c("a", undefined, { "gpu.fly.io/h100": 1 })] }), error: /unknown Fly GPU kind/ },
    { name: "nvidia.com/gpu", spec: spec({ containers: [c("a", undefined, { "nvidia.com/gpu": 1 })] }), error: /name the Fly GPU kind/ },
    { name: "two GPU kinds", spec: spec({ containers: [c("a", undefined, { "gpu.fly.io/l40s": 1 }), c("b", undefined, { "gpu.fly.io/a10": 1 })] }), error: /one GPU kind per pod/ },
  ];
  it.each(rejected)("rejects $name", ({ spec, annotations, error }) => {
    const r = resourcesToGuest(spec, annotations);
    expect(r.guest).toBeUndefined();
    expect(r.errors.join("\n")).toMatch(error);
  });

  it("warns that GPUs are deprecated", () => {
    const r = resourcesToGuest(spec({ containers: [c("a", undefined, { "gpu.fly.io/l40s": 1 })] }));
    expect(r.warnings).toEqual([expect.stringMatching(/^spec\.containers\[0\]\.resources\.limits\["gpu\.fly\.io\/l40s"\]: Fly GPUs are deprecated/)]);
  });

  it("does not enforce ephemeral-storage and reports other extended resources", () => {
    const r = resourcesToGuest(spec({ containers: [c("a", { "ephemeral-storage": "2Gi", "example.com/dongle": 1 })] }));
    expect(r.guest).toEqual({ cpu_kind: "shared", cpus: 1, memory_mb: 256 });
    expect(r.warnings).toEqual([expect.stringContaining('spec.containers[0].resources.requests["ephemeral-storage"]: not enforced')]);
    expect(r.unsupported).toEqual([expect.stringContaining('spec.containers[0].resources.requests["example.com/dongle"]: extended resources')]);
  });

  it.each([
    ["nginx-deployment-pod.yaml", { cpu_kind: "shared", cpus: 1, memory_mb: 256 }],
    ["redis-exec-probes.yaml", { cpu_kind: "shared", cpus: 2, memory_mb: 3072 }],
    ["init-and-sidecar.yaml", { cpu_kind: "shared", cpus: 2, memory_mb: 2048 }],
    ["postgres-performance.yaml", { cpu_kind: "performance", cpus: 4, memory_mb: 16384 }],
    ["gpu-ollama.yaml", { cpu_kind: "performance", cpus: 8, memory_mb: 32768, gpu_kind: "a100-pcie-40gb", gpus: 1 }],
  ])("sizes %s", (file, guest) => {
    const pod = loadObject(file, "Pod");
    expect(resourcesToGuest(pod.spec, pod.metadata.annotations).guest).toEqual(guest);
  });
});
