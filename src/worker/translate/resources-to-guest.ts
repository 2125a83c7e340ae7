import { parseQuantity, type Container, type PodSpec, type Quantity } from "../../shared/k8s";
import { FindingsLog, type Findings } from "./findings";
import type { MachineGuest } from "../../machines/machine-config";

/** Annotation that pins the CPU kind: `shared` or `performance`. */
export const CPU_KIND_ANNOTATION = "fly.io/cpu-kind";
/** Extended resources `gpu.fly.io/<kind>` ask for Fly GPUs. */
export const GPU_RESOURCE_PREFIX = "gpu.fly.io/";

interface CpuKind {
  presets: readonly number[];
  minMbPerCpu: number;
  maxMbPerCpu: number;
  stepMb: number;
}
/** machines-api.md §9 (fly-go MachinePresets, docs machine-sizing). */
const CPU_KINDS = {
  shared: { presets: [1, 2, 4, 6, 8], minMbPerCpu: 256, maxMbPerCpu: 2048, stepMb: 256 },
  performance: { presets: [1, 2, 4, 6, 8, 10, 12, 14, 16], minMbPerCpu: 2048, maxMbPerCpu: 8192, stepMb: 2048 },
} as const satisfies Record<string, CpuKind>;
type CpuKindName = keyof typeof CPU_KINDS;

/** Accepted `gpu.fly.io/<kind>` names (FKS and fly-go preset names) -> `guest.gpu_kind`. */
const GPU_KINDS: Record<string, string> = {
  a10: "a10",
  l40s: "l40s",
  "a100-40gb": "a100-pcie-40gb",
  "a100-pcie-40gb": "a100-pcie-40gb",
  "a100-80gb": "a100-sxm4-80gb",
  "a100-sxm4-80gb": "a100-sxm4-80gb",
};
const GPU_COUNTS = [1, 2, 4, 8];
/** fly-go's GPU presets run on performance-8x with 32768 MB; a GPU guest is never smaller. */
const GPU_FLOOR = { cpus: 8, memoryMb: 32768 };

const MIB = 2 ** 20;
const IGNORED_RESOURCES = new Set(["ephemeral-storage"]);

export type GuestSizing = { guest?: MachineGuest } & Findings;

/**
 * Sizes the Machine for a pod. The rule:
 *
 * 1. Per container and resource (cpu, memory, `gpu.fly.io/<kind>`), the amount is the limit when
 *    set, else the request, else 0.
 * 2. The pod needs what Kubernetes schedules for: max(sum over app containers plus native sidecars,
 *    for each init container its amount plus the sidecars started before it). Pod-level
 *    `spec.resources` (limit, else request) replaces the sum for the resources it names.
 * 3. cpus = ceil(cores), at least 1; memory = MiB rounded up, at least the kind's minimum per CPU.
 * 4. CPU kind: the `fly.io/cpu-kind` annotation when present; else `performance` for GPUs; else
 *    `shared` when a shared guest fits; else `performance`.
 * 5. Within a kind, take the smallest preset count (shared 1,2,4,6,8; performance 1..16 in even steps
 *    from 2) that is >= cpus and whose memory range holds the memory, i.e. CPUs are raised until
 *    the memory per CPU fits: shared 256..2048 MB per CPU in steps of 256, performance 2048..8192 MB
 *    per CPU in steps of 2048. Memory is rounded up to the step and to the preset's minimum.
 * 6. No resources at all: shared-cpu-1x with 256 MB. More than performance-16x with 131072 MB: error.
 * 7. GPUs (deprecated by Fly; warned): one kind per pod, the count rounded up to 1, 2, 4 or 8, on a
 *    performance guest of at least 8 CPUs and 32768 MB.
 *
 * `ephemeral-storage` is not enforced (warned); other extended resources are reported unsupported.
 */
export function resourcesToGuest(spec: PodSpec, annotations: Record<string, string> = {}): GuestSizing {
  const log = new FindingsLog();
  const need = podNeeds(spec, log);
  let cpus = Math.max(1, Math.ceil(need.milliCpu / 1000));
  let memoryMb = Math.ceil(need.memoryBytes / MIB);

  const gpu = gpuNeed(need.extended, log);
  if (log.errors.length) return { ...log };
  const pinned = annotations[CPU_KIND_ANNOTATION];
  if (pinned !== undefined && !(pinned in CPU_KINDS)) {
    log.error(`metadata.annotations["${CPU_KIND_ANNOTATION}"]`, `expected "shared" or "performance", got ${JSON.stringify(pinned)}`);
    return { ...log };
  }
  if (gpu && pinned === "shared") {
    log.error(`metadata.annotations["${CPU_KIND_ANNOTATION}"]`, "GPU Machines run on performance CPUs");
    return { ...log };
  }
  if (gpu) {
    cpus = Math.max(cpus, GPU_FLOOR.cpus);
    memoryMb = Math.max(memoryMb, GPU_FLOOR.memoryMb);
  }

  const kind: CpuKindName = (pinned as CpuKindName | undefined) ?? (gpu || !fit("shared", cpus, memoryMb) ? "performance" : "shared");
  const sized = fit(kind, cpus, memoryMb);
  if (!sized) {
    const largest = largestGuest(kind);
    log.error(
      "spec.containers[*].resources",
      `the pod needs ${cpus} CPUs and ${memoryMb} MB, more than the largest ${kind} Fly guest (${kind === "shared" ? "shared-cpu" : "performance"}-${largest.cpus}x, ${largest.memoryMb} MB)`,
    );
    return { ...log };
  }
  const guest: MachineGuest = { cpu_kind: kind, cpus: sized.cpus, memory_mb: sized.memoryMb };
  if (gpu) Object.assign(guest, { gpu_kind: gpu.kind, gpus: gpu.count });
  return { guest, ...log };
}

function fit(kind: CpuKindName, cpus: number, memoryMb: number): { cpus: number; memoryMb: number } | undefined {
  const k: CpuKind = CPU_KINDS[kind];
  for (const n of k.presets) {
    if (n < cpus) continue;
    const mb = Math.max(k.minMbPerCpu * n, Math.ceil(memoryMb / k.stepMb) * k.stepMb);
    if (mb <= k.maxMbPerCpu * n) return { cpus: n, memoryMb: mb };
  }
  return undefined;
}

function largestGuest(kind: CpuKindName): { cpus: number; memoryMb: number } {
  const k: CpuKind = CPU_KINDS[kind];
  const cpus = k.presets[k.presets.length - 1]!;
  return { cpus, memoryMb: cpus * k.maxMbPerCpu };
}

interface Needs {
  milliCpu: number;
  memoryBytes: number;
  /** Extended resources (name -> count) with the path of one container asking for each. */
  extended: Map<string, { count: number; path: string }>;
}

type Amounts = Map<string, number>;

/** Kubernetes' effective pod request (resourcehelper.PodRequests), on limits-else-requests. */
function podNeeds(spec: PodSpec, log: FindingsLog): Needs {
  const paths = new Map<string, string>();
  const amountsOf = (c: Container, path: string): Amounts => {
    const out: Amounts = new Map();
    const names = new Set([...Object.keys(c.resources?.requests ?? {}), ...Object.keys(c.resources?.limits ?? {})]);
    for (const name of names) {
      const limit = c.resources?.limits?.[name];
      out.set(name, amount(name, (limit ?? c.resources?.requests?.[name])!));
      if (!paths.has(name)) paths.set(name, `${path}.resources.${limit === undefined ? "requests" : "limits"}`);
    }
    return out;
  };
  const app: Amounts = new Map();
  spec.containers.forEach((c, i) => addInto(app, amountsOf(c, `spec.containers[${i}]`)));
  const sidecars: Amounts = new Map();
  const init: Amounts = new Map();
  (spec.initContainers ?? []).forEach((c, i) => {
    const own = amountsOf(c, `spec.initContainers[${i}]`);
    if (c.restartPolicy === "Always") {
      addInto(sidecars, own);
      maxInto(init, sidecars);
    } else {
      const running = new Map(sidecars);
      addInto(running, own);
      maxInto(init, running);
    }
  });
  addInto(app, sidecars);
  maxInto(app, init);
  for (const name of ["cpu", "memory"]) {
    const q = spec.resources?.limits?.[name] ?? spec.resources?.requests?.[name];
    if (q !== undefined) app.set(name, amount(name, q));
  }

  const extended = new Map<string, { count: number; path: string }>();
  for (const [name, value] of app) {
    if (name === "cpu" || name === "memory" || value === 0) continue;
    const path = paths.get(name) ?? "spec.resources.limits";
    if (IGNORED_RESOURCES.has(name)) log.warn(`${path}["${name}"]`, "not enforced: a Machine's root filesystem has a fixed size");
    else extended.set(name, { count: value, path });
  }
  return { milliCpu: app.get("cpu") ?? 0, memoryBytes: app.get("memory") ?? 0, extended };
}

/** cpu in millicores, everything else in base units, rounded up as Kubernetes does. */
function amount(name: string, q: Quantity): number {
  const v = parseQuantity(q);
  // Guard against binary floating point noise such as 0.1 * 1000 = 100.00000000000001.
  return Math.ceil((name === "cpu" ? v * 1000 : v) - 1e-6);
}

function addInto(into: Amounts, from: Amounts): void {
  for (const [k, v] of from) into.set(k, (into.get(k) ?? 0) + v);
}
function maxInto(into: Amounts, from: Amounts): void {
  for (const [k, v] of from) into.set(k, Math.max(into.get(k) ?? 0, v));
}

function gpuNeed(extended: Needs["extended"], log: FindingsLog): { kind: string; count: number } | undefined {
  const gpus: { kind: string; count: number; path: string }[] = [];
  for (const [name, { count, path }] of extended) {
    const field = `${path}["${name}"]`;
    if (name.startsWith(GPU_RESOURCE_PREFIX)) {
      const kind = GPU_KINDS[name.slice(GPU_RESOURCE_PREFIX.length)];
      if (kind) gpus.push({ kind, count, path: field });
      else log.error(field, `unknown Fly GPU kind; use one of ${Object.keys(GPU_KINDS).map((k) => GPU_RESOURCE_PREFIX + k).join(", ")}`);
    } else if (name === "nvidia.com/gpu") {
      log.error(field, `name the Fly GPU kind instead, e.g. ${GPU_RESOURCE_PREFIX}l40s`);
    } else {
      log.notHonoured(field, "extended resources are not available on Fly Machines");
    }
  }
  if (gpus.length === 0) return undefined;
  if (gpus.length > 1) {
    log.error(gpus[1]!.path, `one GPU kind per pod; it also asks for ${gpus[0]!.path}`);
    return undefined;
  }
  const { kind, count, path } = gpus[0]!;
  const rounded = GPU_COUNTS.find((n) => n >= count);
  if (rounded === undefined) {
    log.error(path, `at most ${GPU_COUNTS[GPU_COUNTS.length - 1]} GPUs per Machine`);
    return undefined;
  }
  log.warn(path, "Fly GPUs are deprecated and unavailable after 2026-08-01; the Machine may not be placed");
  return { kind, count: rounded };
}
