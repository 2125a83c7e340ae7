import type { MachineConfig } from "../../machines/machine-config";
import type { Pod } from "../../shared/k8s";
import { canonicalJson, fnv1a64 } from "./machine-config-hash";
import { MACHINE_METADATA } from "./machine-facts";

/** Pod-template annotations (contract): how many spares to keep ready, and for how long. */
export const SPARES_ANNOTATION = "machinelet.fly.io/spares";
export const SPARE_TTL_ANNOTATION = "machinelet.fly.io/spare-ttl";
export const DEFAULT_SPARE_TTL_MS = 30 * 60_000;

/**
 * The cluster-wide setting (`SPARES`, `SPARE_TTL`): the count for templates whose pods do not
 * say (null: keep every scaled-down machine of a ReplicaSet or StatefulSet, pre-warm none; 0: off).
 */
export interface SpareSettings {
  count: number | null;
  ttlMs: number;
}

/** Which spares a pod may take and leave: its template's key and that template's policy. */
export interface SparePlan {
  /** `machinelet_spare` of the template's spares: a hash of the template's identity, region and shape. */
  key: string;
  /** For people: `ReplicaSet default/web-7d9f8c` (the owner and its template revision). */
  template: string;
  namespace: string;
  region: string | null;
  /** Spares to keep ready (pre-warmed when short); null: keep what scale-downs leave, pre-warm none. */
  count: number | null;
  ttlMs: number;
}

export type SpareEligibility = { ok: true; plan: SparePlan } | { ok: false; reason: string };

/**
 * Whether and how a pod takes part in warm capacity. Pods of one template (a ReplicaSet's
 * `pod-template-hash`, a StatefulSet's `controller-revision-hash`, one Job) translate to the same
 * config apart from their identity, which a claim's update rewrites whole. The key adds the region
 * (a machine cannot move) and the config's shape a claim should not change: images (a new image is
 * a pull, no faster than a create) and guest. ReplicaSets and StatefulSets keep scaled-down machines
 * by default; Jobs only when their template asks for spares. A pod whose machine holds something of
 * its own that a claim cannot replace (a Fly Volume, a persistent rootfs, a disk temp dir) never
 * leaves or takes a spare.
 */
export function spareEligibility(pod: Pod, config: MachineConfig, region: string | null, settings: SpareSettings): SpareEligibility {
  const owner = templateOf(pod);
  if (!owner) return { ok: false, reason: "the pod has no ReplicaSet, StatefulSet or Job template" };
  const annotations = pod.metadata.annotations ?? {};
  const count = countOf(annotations[SPARES_ANNOTATION]) ?? (owner.kind === "Job" ? 0 : settings.count);
  if (count === 0) return { ok: false, reason: `spares are off for its template (${SPARES_ANNOTATION} or the cluster's SPARES)` };
  const ownState = ownStateOf(config);
  if (ownState) return { ok: false, reason: `its machine holds ${ownState}, which another pod cannot take over` };
  const ttlMs = durationMs(annotations[SPARE_TTL_ANNOTATION]) ?? settings.ttlMs;
  if (ttlMs <= 0) return { ok: false, reason: "its spares' TTL is 0" };
  const shape = { image: config.image, guest: config.guest, containers: (config.containers ?? []).map((c) => [c.name, c.image]) };
  const key = fnv1a64(canonicalJson({ owner: owner.id, region, shape }));
  const namespace = pod.metadata.namespace ?? "default";
  return { ok: true, plan: { key, template: `${owner.kind} ${namespace}/${owner.name}@${owner.revision}`, namespace, region, count, ttlMs } };
}

/**
 * What a stopped spare carries while it waits: its template's images and guest, the spare
 * metadata instead of the pod's, no env, files, secrets or services (Fly Proxy never routes to it
 * nor autostarts it), and `restart: no`. A claim replaces all of it with the new pod's config.
 */
export function spareConfigOf(config: MachineConfig, cluster: string, key: string): MachineConfig {
  return {
    image: config.image,
    ...(config.guest ? { guest: config.guest } : {}),
    metadata: { [MACHINE_METADATA.cluster]: cluster, [MACHINE_METADATA.spare]: key },
    restart: { policy: "no" },
    processes: [{ ignore_app_secrets: true }],
    ...(config.containers ? { containers: config.containers.map((c) => ({ name: c.name, image: c.image, restart: { policy: "no" as const } })) } : {}),
  };
}

/** Cluster-wide settings from the worker's vars: `SPARES` (a count, or empty for the default) and `SPARE_TTL` (a duration). */
export function spareSettingsFrom(env: { SPARES?: string; SPARE_TTL?: string }): SpareSettings {
  return { count: countOf(env.SPARES?.trim() || undefined) ?? null, ttlMs: durationMs(env.SPARE_TTL?.trim() || undefined) ?? DEFAULT_SPARE_TTL_MS };
}

interface TemplateOwner {
  kind: "ReplicaSet" | "StatefulSet" | "Job";
  name: string;
  /** What changes when the template does. */
  revision: string;
  id: string;
}

function templateOf(pod: Pod): TemplateOwner | undefined {
  const refs = (pod.metadata.ownerReferences ?? []) as Array<{ kind: string; name: string; uid: string; controller?: boolean }>;
  const owner = refs.find((r) => r.controller) ?? (refs.length === 1 ? refs[0] : undefined);
  if (!owner) return undefined;
  const labels = pod.metadata.labels ?? {};
  const ns = pod.metadata.namespace ?? "default";
  const revision =
    owner.kind === "ReplicaSet" ? labels["pod-template-hash"] : owner.kind === "StatefulSet" ? labels["controller-revision-hash"] : owner.kind === "Job" ? owner.uid : undefined;
  if (!revision) return undefined;
  return { kind: owner.kind as TemplateOwner["kind"], name: owner.name, revision, id: `${owner.kind}/${ns}/${owner.name}/${revision}` };
}

function ownStateOf(config: MachineConfig): string | undefined {
  if (config.mounts?.length) return "a Fly Volume";
  const persist = config.rootfs?.persist;
  if (persist && persist !== "never") return "a persistent root filesystem";
  if ((config.volumes ?? []).some((v) => v.temp_dir?.storage_type !== "memory")) return "a disk temp dir (emptyDir)";
  return undefined;
}

/** A non-negative integer count; anything else is not a count (the default applies). */
function countOf(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  return /^\d{1,4}$/.test(v.trim()) ? Number(v.trim()) : undefined;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** A Go-style duration (`30m`, `1h30m`, `90s`), or a plain number of seconds; undefined when unreadable. */
export function durationMs(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const s = v.trim();
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  if (!/^(\d+(ms|s|m|h))+$/.test(s)) return undefined;
  let total = 0;
  for (const [, n, unit] of s.matchAll(/(\d+)(ms|s|m|h)/g)) total += Number(n) * UNIT_MS[unit!]!;
  return total;
}
