/**
 * The K8s stand-in's scheduler (staging and tests only), after kube-scheduler: every pod that
 * names no node and uses the default scheduler is filtered against every Node (unschedulable,
 * node selector and required node affinity, NoSchedule/NoExecute taints: node-fit.ts) and bound,
 * through the same path as pods/binding, to the feasible node with the fewest pods. A pod that fits
 * no node stays Pending with PodScheduled=False/Unschedulable and the scheduler's message, and a
 * `FailedScheduling` Warning event; it is tried again whenever pods or nodes change.
 * Not considered: resources, pod (anti-)affinity, topology spread, preemption.
 */
import type { K8sObject } from "../k8s-object";
import { formatTime, isJsonObject } from "../k8s-object";
import { recordEvent } from "../controllers/events";
import type { Controller } from "../controllers/loop";
import { bestEffort } from "../controllers/loop";
import type { Registry } from "../registry";
import { setPodCondition } from "../pod-conditions";
import { PODS } from "../registry";
import { resourceByKind } from "../resources";
import { fitErrorMessage, whyNotFits } from "./node-fit";

export const DEFAULT_SCHEDULER_NAME = "default-scheduler";
const NODES = resourceByKind("Node");

function needsScheduling(pod: K8sObject): boolean {
  const spec = isJsonObject(pod.spec) ? pod.spec : {};
  return !spec.nodeName && (spec.schedulerName ?? DEFAULT_SCHEDULER_NAME) === DEFAULT_SCHEDULER_NAME && !pod.metadata.deletionTimestamp;
}

function unschedulableMessage(pod: K8sObject): string | undefined {
  const status = isJsonObject(pod.status) ? pod.status : {};
  const conditions = Array.isArray(status.conditions) ? status.conditions.filter(isJsonObject) : [];
  const scheduled = conditions.find((c) => c.type === "PodScheduled" && c.status === "False");
  return scheduled ? String(scheduled.message ?? "") : undefined;
}

function markUnschedulable(registry: Registry, pod: K8sObject, message: string): void {
  const next = structuredClone(pod);
  setPodCondition(next, { type: "PodScheduled", status: "False", reason: "Unschedulable", message, lastProbeTime: null, lastTransitionTime: formatTime(new Date()) });
  if (bestEffort(() => registry.update(PODS, pod.metadata.namespace, pod.metadata.name ?? "", next, { subresource: "status" }))) {
    recordEvent(registry, DEFAULT_SCHEDULER_NAME, pod, "Warning", "FailedScheduling", message);
  }
}

function schedule(registry: Registry, pod: K8sObject, nodes: readonly K8sObject[], podsPerNode: Map<string, number>): void {
  const reasons: string[] = [];
  let best: K8sObject | undefined;
  for (const node of nodes) {
    const why = whyNotFits(pod, node);
    if (why) reasons.push(why);
    else if (!best || (podsPerNode.get(node.metadata.name ?? "") ?? 0) < (podsPerNode.get(best.metadata.name ?? "") ?? 0)) best = node;
  }
  if (!best) {
    const message = fitErrorMessage(nodes.length, reasons);
    if (unschedulableMessage(pod) !== message) markUnschedulable(registry, pod, message);
    return;
  }
  const nodeName = best.metadata.name ?? "";
  if (!bestEffort(() => registry.bind(pod.metadata.namespace ?? "", pod.metadata.name ?? "", nodeName))) return;
  podsPerNode.set(nodeName, (podsPerNode.get(nodeName) ?? 0) + 1);
  recordEvent(registry, DEFAULT_SCHEDULER_NAME, pod, "Normal", "Scheduled", `Successfully assigned ${pod.metadata.namespace ?? ""}/${pod.metadata.name ?? ""} to ${nodeName}`);
}

export function scheduler(registry: Registry): Controller {
  return {
    name: "scheduler",
    watches: [PODS, NODES],
    sync() {
      const nodes = registry.list(NODES, undefined).filter((n) => !n.metadata.deletionTimestamp);
      const pods = registry.list(PODS, undefined);
      const podsPerNode = new Map<string, number>();
      for (const pod of pods) {
        const nodeName = isJsonObject(pod.spec) ? pod.spec.nodeName : undefined;
        if (typeof nodeName === "string" && nodeName) podsPerNode.set(nodeName, (podsPerNode.get(nodeName) ?? 0) + 1);
      }
      for (const pod of pods) if (needsScheduling(pod)) schedule(registry, pod, nodes, podsPerNode);
    },
  };
}
