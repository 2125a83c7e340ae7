/**
 * From a status the worker reports to the write the relay makes, as the kubelet's status manager
 * does it (kubernetes-side.md §1.3, §4; pkg/kubelet/status mergePodStatus and
 * pkg/util/pod PatchPodStatus): the reported status is merged with what others own on the current
 * pod (conditions of other types, such as the scheduler's PodScheduled; qosClass, nominatedNodeName,
 * resource claim statuses), then a strategic merge patch is computed against the current status, so
 * that whatever the new status no longer has (a waiting reason, a condition's reason) is deleted.
 * The patch carries `metadata.uid`, which the API server refuses for a recreated pod of the same name.
 */
import type { KubeObject } from "./kube-api";
import { isJsonObject, type JsonObject } from "../shared/json";
import { createTwoWayMergePatch } from "./two-way-merge-patch";

export const STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json";

const TERMINAL_PHASES = new Set(["Succeeded", "Failed"]);

/** The status fields a kubelet (here: the worker) writes; every other field stays as the current pod has it. */
const WRITTEN_FIELDS = [
  "phase",
  "conditions",
  "message",
  "reason",
  "hostIP",
  "hostIPs",
  "podIP",
  "podIPs",
  "startTime",
  "initContainerStatuses",
  "containerStatuses",
  "ephemeralContainerStatuses",
];

/** Condition types the kubelet owns (kubetypes.PodConditionByKubelet), and the worker's own. */
const OWNED_CONDITIONS = new Set(["Ready", "Initialized", "ContainersReady", "PodReadyToStartContainers"]);
const OWNED_CONDITION_PREFIX = "machinelet.fly.io/";

export function isTerminalPod(pod: KubeObject): boolean {
  const phase = (pod.status as { phase?: unknown } | undefined)?.phase;
  return typeof phase === "string" && TERMINAL_PHASES.has(phase);
}

export function isTerminalStatus(status: Record<string, unknown>): boolean {
  return typeof status.phase === "string" && TERMINAL_PHASES.has(status.phase);
}

const conditionType = (c: unknown): unknown => (isJsonObject(c) ? c.type : undefined);
const ownsCondition = (c: unknown): boolean => {
  const type = conditionType(c);
  return typeof type === "string" && (OWNED_CONDITIONS.has(type) || type.startsWith(OWNED_CONDITION_PREFIX));
};

/** The status as it should be: `reported` for what the worker owns, `current` for everything else. */
export function mergedPodStatus(current: JsonObject, reported: JsonObject): JsonObject {
  const merged: JsonObject = { ...Object.fromEntries(Object.entries(current).filter(([key]) => !WRITTEN_FIELDS.includes(key))), ...reported };
  const others = Array.isArray(current.conditions) ? current.conditions.filter((c) => !ownsCondition(c)) : [];
  const owned = Array.isArray(reported.conditions) ? reported.conditions.filter(ownsCondition) : [];
  if (others.length + owned.length > 0) merged.conditions = [...others, ...owned];
  else delete merged.conditions;
  return merged;
}

export type PodStatusPatch = { metadata: { uid: string }; status: JsonObject };

/** The patch of `pods/{name}/status` that makes `current` show `reported`; undefined when nothing would change. */
export function podStatusPatch(uid: string, current: JsonObject, reported: JsonObject): PodStatusPatch | undefined {
  const diff = createTwoWayMergePatch("Pod", { status: current }, { status: mergedPodStatus(current, reported) });
  return isJsonObject(diff.status) ? { metadata: { uid }, status: diff.status } : undefined;
}
