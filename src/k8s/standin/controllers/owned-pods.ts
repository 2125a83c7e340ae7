/**
 * What the K8s stand-in's workload controllers (staging and tests only) share about the pods they
 * own, after k8s.io/kubernetes/pkg/controller (controller_utils.go) and pkg/api/v1/pod: controller
 * references, pods made from templates, and the active / ready / available tests.
 */
import type { JsonObject, K8sObject } from "../k8s-object";
import { cloneObject, isJsonObject } from "../k8s-object";

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export function ownerReferences(obj: K8sObject): OwnerReference[] {
  const refs = obj.metadata.ownerReferences;
  return Array.isArray(refs) ? (refs.filter(isJsonObject) as unknown as OwnerReference[]) : [];
}

export function controllerRef(obj: K8sObject): OwnerReference | undefined {
  return ownerReferences(obj).find((ref) => ref.controller === true);
}

export function isControlledBy(obj: K8sObject, owner: K8sObject): boolean {
  return controllerRef(obj)?.uid === owner.metadata.uid;
}

export function controllerReferenceTo(owner: K8sObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion ?? "",
    kind: owner.kind ?? "",
    name: owner.metadata.name ?? "",
    uid: owner.metadata.uid ?? "",
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** A new object's body from a pod template: its labels, annotations and spec, controlled by `owner`. */
export function podFromTemplate(template: unknown, owner: K8sObject, naming: { name: string } | { generateName: string }): K8sObject {
  const t = isJsonObject(template) ? template : {};
  const meta = isJsonObject(t.metadata) ? t.metadata : {};
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      ...naming,
      ...(isJsonObject(meta.labels) ? { labels: cloneObject(meta.labels) as Record<string, string> } : {}),
      ...(isJsonObject(meta.annotations) ? { annotations: cloneObject(meta.annotations) as Record<string, string> } : {}),
      ...(Array.isArray(meta.finalizers) ? { finalizers: cloneObject(meta.finalizers) as string[] } : {}),
      ownerReferences: [controllerReferenceTo(owner)],
    },
    spec: cloneObject(isJsonObject(t.spec) ? t.spec : {}),
  };
}

function statusOf(pod: K8sObject): JsonObject {
  return isJsonObject(pod.status) ? pod.status : {};
}

export function phaseOf(pod: K8sObject): string {
  return String(statusOf(pod).phase ?? "");
}

/** Not finished and not being deleted (controller.IsPodActive). */
export function isActive(pod: K8sObject): boolean {
  const phase = phaseOf(pod);
  return phase !== "Succeeded" && phase !== "Failed" && pod.metadata.deletionTimestamp === undefined;
}

function readyCondition(pod: K8sObject): JsonObject | undefined {
  const conditions = Array.isArray(statusOf(pod).conditions) ? (statusOf(pod).conditions as unknown[]).filter(isJsonObject) : [];
  return conditions.find((c) => c.type === "Ready");
}

export function isReady(pod: K8sObject): boolean {
  return readyCondition(pod)?.status === "True";
}

/** Ready for at least minReadySeconds (podutil.IsPodAvailable). */
export function isAvailable(pod: K8sObject, minReadySeconds: number, now: number): boolean {
  const ready = readyCondition(pod);
  if (ready?.status !== "True") return false;
  if (minReadySeconds <= 0) return true;
  const since = Date.parse(String(ready.lastTransitionTime ?? ""));
  return !Number.isNaN(since) && since + minReadySeconds * 1000 <= now;
}

export function labelsOf(obj: K8sObject): Record<string, string> {
  return obj.metadata.labels ?? {};
}

export function int(value: unknown, fallback: number): number {
  return typeof value === "number" && Number.isFinite(value) ? value : fallback;
}
