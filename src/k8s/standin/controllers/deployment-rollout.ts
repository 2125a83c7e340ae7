/**
 * How the K8s stand-in's Deployment controller (staging and tests only) sizes ReplicaSets during a
 * rollout, after pkg/controller/deployment/{rolling,recreate}.go and deployment/util: maxSurge and
 * maxUnavailable resolved from ints or percentages, the new ReplicaSet scaled up within the surge,
 * unhealthy old replicas cleaned up first, then old ReplicaSets scaled down as far as
 * availability allows. Pure functions over replica counts: the controller writes the result.
 */
import type { JsonObject, K8sObject } from "../k8s-object";
import { isJsonObject } from "../k8s-object";
import { int } from "./owned-pods";

export interface RolloutLimits {
  maxSurge: number;
  maxUnavailable: number;
}

/** intstr.GetScaledValueFromIntOrPercent. */
function scaled(value: unknown, total: number, roundUp: boolean): number {
  if (typeof value === "number") return value;
  const match = /^(\d+)%$/.exec(String(value ?? "0"));
  if (!match) return 0;
  const exact = (Number(match[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** deploymentutil.ResolveFenceposts: both zero would never progress, so maxUnavailable becomes 1. */
export function rolloutLimits(deployment: K8sObject): RolloutLimits {
  const spec = isJsonObject(deployment.spec) ? deployment.spec : {};
  const strategy = isJsonObject(spec.strategy) ? spec.strategy : {};
  const replicas = int(spec.replicas, 1);
  if (strategy.type !== "RollingUpdate") return { maxSurge: 0, maxUnavailable: replicas };
  const rolling = isJsonObject(strategy.rollingUpdate) ? strategy.rollingUpdate : {};
  const maxSurge = scaled(rolling.maxSurge ?? "25%", replicas, true);
  const maxUnavailable = Math.min(scaled(rolling.maxUnavailable ?? "25%", replicas, false), replicas);
  return maxSurge === 0 && maxUnavailable === 0 ? { maxSurge, maxUnavailable: 1 } : { maxSurge, maxUnavailable };
}

export function specReplicas(rs: K8sObject): number {
  return int(isJsonObject(rs.spec) ? rs.spec.replicas : undefined, 0);
}

export function statusCount(rs: K8sObject, field: string): number {
  const status: JsonObject = isJsonObject(rs.status) ? rs.status : {};
  return int(status[field], 0);
}

const sum = (list: readonly K8sObject[], count: (rs: K8sObject) => number): number => list.reduce((total, rs) => total + count(rs), 0);

/** NewRSNewReplicas: the new ReplicaSet's size, grown within maxSurge, never past the Deployment's. */
export function newReplicaSetReplicas(replicas: number, limits: RolloutLimits, newRS: K8sObject | undefined, all: readonly K8sObject[]): number {
  const current = newRS ? specReplicas(newRS) : 0;
  if (current >= replicas) return replicas;
  const maxTotal = replicas + limits.maxSurge;
  const podCount = sum(all, specReplicas);
  if (podCount >= maxTotal) return current;
  return current + Math.min(maxTotal - podCount, replicas - current);
}

/**
 * reconcileOldReplicaSets: new sizes for the old ReplicaSets (oldest first), keeping
 * replicas - maxUnavailable pods available. Returns only the ones that change.
 */
export function oldReplicaSetSizes(replicas: number, limits: RolloutLimits, newRS: K8sObject, old: readonly K8sObject[]): Map<K8sObject, number> {
  const sizes = new Map<K8sObject, number>();
  const size = (rs: K8sObject): number => sizes.get(rs) ?? specReplicas(rs);
  if (sum(old, specReplicas) === 0) return sizes;
  const minAvailable = replicas - limits.maxUnavailable;
  const newUnavailable = specReplicas(newRS) - statusCount(newRS, "availableReplicas");
  const maxScaledDown = sum([...old, newRS], specReplicas) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return sizes;
  const oldestFirst = [...old].sort((a, b) => Date.parse(a.metadata.creationTimestamp ?? "") - Date.parse(b.metadata.creationTimestamp ?? ""));
  // Unhealthy replicas first: scaling them down costs no availability.
  let cleaned = 0;
  for (const rs of oldestFirst) {
    if (cleaned >= maxScaledDown) break;
    const unhealthy = size(rs) - statusCount(rs, "availableReplicas");
    if (size(rs) === 0 || unhealthy <= 0) continue;
    const down = Math.min(maxScaledDown - cleaned, unhealthy);
    sizes.set(rs, size(rs) - down);
    cleaned += down;
  }
  const available = sum([...old, newRS], (rs) => statusCount(rs, "availableReplicas"));
  let budget = available - minAvailable;
  for (const rs of oldestFirst) {
    if (budget <= 0) break;
    const down = Math.min(size(rs), budget);
    if (down <= 0) continue;
    sizes.set(rs, size(rs) - down);
    budget -= down;
  }
  return sizes;
}
