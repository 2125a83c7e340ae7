/** Pod conditions as the API server's writers (binding, scheduler) set them. */
import type { JsonObject, K8sObject } from "./k8s-object";
import { isJsonObject } from "./k8s-object";

/** Adds or replaces a pod condition by type; keeps lastTransitionTime when the status is unchanged. */
export function setPodCondition(pod: K8sObject, condition: JsonObject): void {
  const status = isJsonObject(pod.status) ? pod.status : {};
  const conditions = Array.isArray(status.conditions) ? status.conditions.filter(isJsonObject) : [];
  const index = conditions.findIndex((c) => c.type === condition.type);
  const previous = index === -1 ? undefined : conditions[index];
  const next = previous && previous.status === condition.status ? { ...condition, lastTransitionTime: previous.lastTransitionTime } : condition;
  if (index === -1) conditions.push(next);
  else conditions[index] = next;
  status.conditions = conditions;
  pod.status = status;
}
