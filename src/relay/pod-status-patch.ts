/**
 * From a status the worker reports to the write the relay makes, as a kubelet would
 * (kubernetes-side.md §1.3, §4): a strategic-merge patch of `pods/{name}/status` carrying
 * `metadata.uid` (the API server then refuses it for a recreated pod of the same name), the full
 * containerStatuses, and never the scheduler's PodScheduled condition.
 */
import type { KubeObject } from "./kube-api";

export const STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json";

const TERMINAL_PHASES = new Set(["Succeeded", "Failed"]);

export function isTerminalPod(pod: KubeObject): boolean {
  const phase = (pod.status as { phase?: unknown } | undefined)?.phase;
  return typeof phase === "string" && TERMINAL_PHASES.has(phase);
}

export function isTerminalStatus(status: Record<string, unknown>): boolean {
  return typeof status.phase === "string" && TERMINAL_PHASES.has(status.phase);
}

export interface PodStatusPatch {
  metadata: { uid: string };
  status: Record<string, unknown>;
}

export function podStatusToPatch(uid: string, status: Record<string, unknown>): PodStatusPatch {
  const out: Record<string, unknown> = { ...status };
  if (Array.isArray(status.conditions)) {
    out.conditions = status.conditions.filter((c) => !(typeof c === "object" && c !== null && (c as { type?: unknown }).type === "PodScheduled"));
  }
  return { metadata: { uid }, status: out };
}
