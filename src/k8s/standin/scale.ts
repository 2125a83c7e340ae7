/**
 * The scale subresource of the K8s stand-in (staging and tests only): an autoscaling/v1 Scale view
 * of a Deployment, ReplicaSet or StatefulSet (`kubectl scale` patches it), after
 * pkg/registry/apps/deployment/storage's ScaleREST: reads give spec.replicas, status.replicas and
 * the selector as a string; writes change only spec.replicas.
 */
import { OPTIMISTIC_LOCK_MESSAGE, badRequest, conflict } from "./api-errors";
import type { JsonObject, K8sObject } from "./k8s-object";
import { cloneObject, isJsonObject } from "./k8s-object";
import { selectorString } from "./label-selector";
import type { PatchType } from "./patch";
import { applyPatch } from "./patch";
import type { Registry, WriteOptions } from "./registry";
import type { ResourceType } from "./resources";

export function scaleOf(obj: K8sObject): K8sObject {
  const spec = isJsonObject(obj.spec) ? obj.spec : {};
  const status = isJsonObject(obj.status) ? obj.status : {};
  const { name, namespace, uid, resourceVersion, creationTimestamp } = obj.metadata;
  return {
    kind: "Scale",
    apiVersion: "autoscaling/v1",
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: status.replicas ?? 0, selector: selectorString(spec.selector) },
  };
}

function replicasOf(scale: unknown): number {
  const spec = isJsonObject(scale) && isJsonObject(scale.spec) ? scale.spec : {};
  const replicas = spec.replicas ?? 0;
  if (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 0) throw badRequest(`spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`);
  return replicas;
}

/** PUT of a Scale (a resourceVersion in it is a precondition), or a PATCH applied to the current Scale. */
export function writeScale(
  registry: Registry,
  rt: ResourceType,
  namespace: string | undefined,
  name: string,
  change: { put: unknown } | { patchType: PatchType; patch: unknown },
  options: WriteOptions,
): K8sObject {
  const current = registry.get(rt, namespace, name);
  const scale = "put" in change ? change.put : applyPatch("Scale", change.patchType, cloneObject(scaleOf(current)) as JsonObject, change.patch);
  const meta = isJsonObject(scale) && isJsonObject(scale.metadata) ? scale.metadata : {};
  if (typeof meta.resourceVersion === "string" && meta.resourceVersion !== "" && meta.resourceVersion !== current.metadata.resourceVersion) {
    throw conflict(rt, name, OPTIMISTIC_LOCK_MESSAGE);
  }
  const next = cloneObject(current);
  (next.spec as JsonObject).replicas = replicasOf(scale);
  return scaleOf(registry.update(rt, namespace, name, next, options));
}
