/**
 * The PodTolerationRestriction admission plugin of kube-apiserver
 * (plugin/pkg/admission/podtolerationrestriction), for the K8s stand-in (staging and tests only):
 * a pod created in a namespace annotated `scheduler.alpha.kubernetes.io/defaultTolerations` (a
 * JSON list of tolerations) gets them added to its own; in a namespace without the annotation it
 * gets the cluster default (the plugin's configuration `default`), if one is configured. This is
 * how a namespace's pods can reach a tainted virtual node without naming its toleration. The
 * whitelist half of the plugin is not implemented.
 */
import { badRequest } from "../api-errors";
import type { JsonObject, K8sObject } from "../k8s-object";
import { cloneObject, isJsonObject, jsonEqual } from "../k8s-object";
import type { Registry } from "../registry";
import { NAMESPACES } from "../namespace-lifecycle";
import type { ResourceType } from "../resources";

export const DEFAULT_TOLERATIONS_ANNOTATION = "scheduler.alpha.kubernetes.io/defaultTolerations";

export type Toleration = { key?: string; operator?: "Exists" | "Equal"; value?: string; effect?: string; tolerationSeconds?: number };

function namespaceDefaults(registry: Registry, namespace: string): JsonObject[] | undefined {
  const raw = registry.find(NAMESPACES, undefined, namespace)?.metadata.annotations?.[DEFAULT_TOLERATIONS_ANNOTATION];
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw badRequest(`the namespace ${namespace} has an invalid ${DEFAULT_TOLERATIONS_ANNOTATION} annotation: not a JSON list of tolerations`);
  }
  if (!Array.isArray(parsed) || !parsed.every(isJsonObject)) throw badRequest(`the namespace ${namespace} has an invalid ${DEFAULT_TOLERATIONS_ANNOTATION} annotation: not a JSON list of tolerations`);
  return parsed;
}

/** Returns the admission step: on pod creation, merges the namespace's (or the cluster's) default tolerations. */
export function podTolerationRestriction(clusterDefault: readonly Toleration[]): (rt: ResourceType, obj: K8sObject, registry: Registry) => void {
  return (rt, pod, registry) => {
    if (rt.kind !== "Pod") return;
    const extra = namespaceDefaults(registry, pod.metadata.namespace ?? "") ?? (cloneObject(clusterDefault) as JsonObject[]);
    if (extra.length === 0) return;
    const spec = isJsonObject(pod.spec) ? pod.spec : {};
    const tolerations = Array.isArray(spec.tolerations) ? spec.tolerations.filter(isJsonObject) : [];
    for (const toleration of extra) if (!tolerations.some((t) => jsonEqual(t, toleration))) tolerations.push(toleration);
    spec.tolerations = tolerations;
    pod.spec = spec;
  };
}
