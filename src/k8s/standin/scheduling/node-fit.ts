/**
 * The filter plugins of the K8s stand-in's scheduler (staging and tests only), after
 * kube-scheduler's NodeUnschedulable, TaintToleration and NodeAffinity plugins
 * (pkg/scheduler/framework/plugins) and component-helpers' toleration and node-selector matching.
 * Each returns undefined when the node fits, else the reason kube-scheduler counts in its
 * "0/N nodes are available: …" message.
 */
import type { JsonObject, K8sObject } from "../k8s-object";
import { isJsonObject } from "../k8s-object";

const list = (value: unknown): JsonObject[] => (Array.isArray(value) ? value.filter(isJsonObject) : []);

export function tolerates(toleration: JsonObject, taint: JsonObject): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  const operator = toleration.operator ?? "Equal";
  if (operator === "Exists") return true;
  return operator === "Equal" && (toleration.value ?? "") === (taint.value ?? "");
}

function untoleratedTaint(pod: K8sObject, node: K8sObject): string | undefined {
  const tolerations = list(isJsonObject(pod.spec) ? pod.spec.tolerations : undefined);
  const taints = list(isJsonObject(node.spec) ? node.spec.taints : undefined).filter((t) => t.effect === "NoSchedule" || t.effect === "NoExecute");
  const taint = taints.find((t) => !tolerations.some((tol) => tolerates(tol, t)));
  if (!taint) return undefined;
  return `node(s) had untolerated taint {${String(taint.key)}: ${String(taint.value ?? "")}}`;
}

function unschedulable(pod: K8sObject, node: K8sObject): string | undefined {
  if (!isJsonObject(node.spec) || node.spec.unschedulable !== true) return undefined;
  const taint = { key: "node.kubernetes.io/unschedulable", effect: "NoSchedule" };
  const tolerations = list(isJsonObject(pod.spec) ? pod.spec.tolerations : undefined);
  return tolerations.some((t) => tolerates(t, taint)) ? undefined : "node(s) were unschedulable";
}

function requirementHolds(requirement: JsonObject, value: string | undefined): boolean {
  const values = Array.isArray(requirement.values) ? requirement.values.map(String) : [];
  switch (requirement.operator) {
    case "In":
      return value !== undefined && values.includes(value);
    case "NotIn":
      return value === undefined || !values.includes(value);
    case "Exists":
      return value !== undefined;
    case "DoesNotExist":
      return value === undefined;
    case "Gt":
    case "Lt": {
      const [bound] = values;
      if (value === undefined || bound === undefined || !/^-?\d+$/.test(value)) return false;
      return requirement.operator === "Gt" ? Number(value) > Number(bound) : Number(value) < Number(bound);
    }
    default:
      return false;
  }
}

/** A NodeSelectorTerm: all its label expressions and field expressions (metadata.name) hold. */
function termMatches(term: JsonObject, node: K8sObject): boolean {
  const labels = node.metadata.labels ?? {};
  const expressions = list(term.matchExpressions);
  const fields = list(term.matchFields);
  if (expressions.length === 0 && fields.length === 0) return false;
  return (
    expressions.every((e) => requirementHolds(e, Object.hasOwn(labels, String(e.key)) ? labels[String(e.key)] : undefined)) &&
    fields.every((f) => f.key === "metadata.name" && requirementHolds(f, node.metadata.name))
  );
}

function affinityMismatch(pod: K8sObject, node: K8sObject): string | undefined {
  const spec = isJsonObject(pod.spec) ? pod.spec : {};
  const labels = node.metadata.labels ?? {};
  const selector = isJsonObject(spec.nodeSelector) ? spec.nodeSelector : {};
  const selectorOk = Object.entries(selector).every(([key, value]) => labels[key] === value);
  const affinity = isJsonObject(spec.affinity) && isJsonObject(spec.affinity.nodeAffinity) ? spec.affinity.nodeAffinity : {};
  const required = isJsonObject(affinity.requiredDuringSchedulingIgnoredDuringExecution) ? affinity.requiredDuringSchedulingIgnoredDuringExecution : undefined;
  const affinityOk = required === undefined || list(required.nodeSelectorTerms).some((term) => termMatches(term, node));
  return selectorOk && affinityOk ? undefined : "node(s) didn't match Pod's node affinity/selector";
}

const FILTERS = [unschedulable, affinityMismatch, untoleratedTaint] as const;

/** undefined when the pod fits the node, else why not. */
export function whyNotFits(pod: K8sObject, node: K8sObject): string | undefined {
  for (const filter of FILTERS) {
    const reason = filter(pod, node);
    if (reason) return reason;
  }
  return undefined;
}

/** kube-scheduler's FitError message: reasons counted and sorted. */
export function fitErrorMessage(nodeCount: number, reasons: readonly string[]): string {
  if (nodeCount === 0) return "no nodes available to schedule pods";
  const counts = new Map<string, number>();
  for (const reason of reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  const parts = [...counts].map(([reason, n]) => `${n} ${reason}`).sort();
  return `0/${nodeCount} nodes are available: ${parts.join(", ")}. preemption: 0/${nodeCount} nodes are available: ${nodeCount} Preemption is not helpful for scheduling.`;
}
