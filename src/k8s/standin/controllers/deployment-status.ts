/**
 * A Deployment's status as the K8s stand-in's Deployment controller (staging and tests only)
 * writes it, after pkg/controller/deployment/{sync,progress}.go: replica counts summed over its
 * ReplicaSets and the Available and Progressing conditions, with the reasons and messages
 * `kubectl rollout status` and `kubectl describe` read.
 */
import type { JsonObject, K8sObject } from "../k8s-object";
import { formatTime, isJsonObject, jsonEqual } from "../k8s-object";
import type { RolloutLimits } from "./deployment-rollout";
import { statusCount } from "./deployment-rollout";
import { int } from "./owned-pods";

interface Condition {
  type: string;
  status: "True" | "False";
  reason: string;
  message: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

function conditionsOf(status: unknown): JsonObject[] {
  return isJsonObject(status) && Array.isArray(status.conditions) ? status.conditions.filter(isJsonObject) : [];
}

/** Keeps lastTransitionTime while the status holds, lastUpdateTime while nothing changes. */
function setCondition(previous: JsonObject[], next: Condition, now: string): JsonObject {
  const old = previous.find((c) => c.type === next.type);
  const same = old && old.status === next.status && old.reason === next.reason && old.message === next.message;
  return {
    ...next,
    lastUpdateTime: same ? old.lastUpdateTime : now,
    lastTransitionTime: old && old.status === next.status ? old.lastTransitionTime : now,
  };
}

export function deploymentStatus(deployment: K8sObject, limits: RolloutLimits, newRS: K8sObject | undefined, all: readonly K8sObject[], now: Date): JsonObject {
  const spec = isJsonObject(deployment.spec) ? deployment.spec : {};
  const previous = isJsonObject(deployment.status) ? deployment.status : {};
  const replicas = int(spec.replicas, 1);
  const total = (field: string): number => all.reduce((sum, rs) => sum + statusCount(rs, field), 0);
  const status: JsonObject = {
    observedGeneration: deployment.metadata.generation ?? 1,
    replicas: total("replicas"),
    updatedReplicas: newRS ? statusCount(newRS, "replicas") : 0,
    readyReplicas: total("readyReplicas"),
    availableReplicas: total("availableReplicas"),
    unavailableReplicas: Math.max(replicas - total("availableReplicas"), 0),
  };
  if (previous.collisionCount !== undefined) status.collisionCount = previous.collisionCount;
  for (const key of Object.keys(status)) if (status[key] === 0 && key !== "observedGeneration") delete status[key];

  const stamp = formatTime(now);
  const old = conditionsOf(previous);
  const available: Condition =
    int(status.availableReplicas, 0) >= replicas - limits.maxUnavailable
      ? { type: "Available", status: "True", reason: "MinimumReplicasAvailable", message: "Deployment has minimum availability." }
      : { type: "Available", status: "False", reason: "MinimumReplicasUnavailable", message: "Deployment does not have minimum availability." };
  const progressing = progressingCondition(deployment, newRS, status, old, now);
  status.conditions = [setCondition(old, available, stamp), setCondition(old, progressing, stamp)];
  return status;
}

function progressingCondition(deployment: K8sObject, newRS: K8sObject | undefined, status: JsonObject, old: JsonObject[], now: Date): Condition {
  const spec = isJsonObject(deployment.spec) ? deployment.spec : {};
  const replicas = int(spec.replicas, 1);
  const name = newRS?.metadata.name ?? "";
  const previous = old.find((c) => c.type === "Progressing");
  const complete =
    int(status.updatedReplicas, 0) === replicas && int(status.replicas, 0) === replicas && int(status.availableReplicas, 0) === replicas;
  if (complete) return { type: "Progressing", status: "True", reason: "NewReplicaSetAvailable", message: `ReplicaSet "${name}" has successfully progressed.` };
  if (!previous) return { type: "Progressing", status: "True", reason: "NewReplicaSetCreated", message: `Created new replica set "${name}"` };
  const before = isJsonObject(deployment.status) ? deployment.status : {};
  const counts = ["updatedReplicas", "readyReplicas", "availableReplicas"] as const;
  const progressed = counts.some((f) => int(status[f], 0) > int(before[f], 0)) || int(status.replicas, 0) < int(before.replicas, 0);
  if (progressed || previous.reason === "NewReplicaSetAvailable") return { type: "Progressing", status: "True", reason: "ReplicaSetUpdated", message: `ReplicaSet "${name}" is progressing.` };
  const deadline = int(spec.progressDeadlineSeconds, 600);
  const since = Date.parse(String(previous.lastUpdateTime ?? ""));
  if (previous.reason === "ProgressDeadlineExceeded" || (!Number.isNaN(since) && since + deadline * 1000 < now.getTime())) {
    return { type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded", message: `ReplicaSet "${name}" has timed out progressing.` };
  }
  return { type: "Progressing", status: "True", reason: String(previous.reason), message: String(previous.message) };
}

export function statusChanged(deployment: K8sObject, status: JsonObject): boolean {
  return !jsonEqual(deployment.status, status);
}
