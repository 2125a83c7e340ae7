/**
 * The ReplicaSet controller of the K8s stand-in (staging and tests only), after
 * pkg/controller/replicaset: keeps spec.replicas active pods that match the selector and are
 * controlled by the ReplicaSet, adopting matching orphans and releasing pods that no longer match;
 * surplus pods go in the order controller.ActivePods ranks them (unscheduled, pending, not ready,
 * newest first); status counts replicas, fully labeled, ready and available ones.
 */
import type { JsonObject, K8sObject } from "../k8s-object";
import { cloneObject, isJsonObject, jsonEqual } from "../k8s-object";
import { selectorMatches } from "../label-selector";
import type { Registry } from "../registry";
import { PODS } from "../registry";
import { resourceByKind } from "../resources";
import { recordEvent } from "./events";
import type { Controller } from "./loop";
import { bestEffort } from "./loop";
import { controllerRef, controllerReferenceTo, int, isActive, isAvailable, isReady, labelsOf, phaseOf, podFromTemplate } from "./owned-pods";

export const REPLICASETS = resourceByKind("ReplicaSet");
const COMPONENT = "replicaset-controller";
/** Creations per pass, like the controller's burstReplicas. */
const BURST = 500;
const PHASE_RANK: Readonly<Record<string, number>> = { Pending: 0, Unknown: 1, Running: 2 };

/** controller.ActivePods' order: the first pods are the first to go. */
function deletionOrder(a: K8sObject, b: K8sObject): number {
  const assigned = (p: K8sObject): number => (isJsonObject(p.spec) && p.spec.nodeName ? 1 : 0);
  const phase = (p: K8sObject): number => PHASE_RANK[phaseOf(p)] ?? 1;
  const ready = (p: K8sObject): number => (isReady(p) ? 1 : 0);
  const created = (p: K8sObject): number => Date.parse(p.metadata.creationTimestamp ?? "") || 0;
  return assigned(a) - assigned(b) || phase(a) - phase(b) || ready(a) - ready(b) || created(b) - created(a);
}

/** The pods a controller with this selector and template owns after adopting and releasing. */
export function claimPods(registry: Registry, owner: K8sObject, selector: unknown): K8sObject[] {
  const owned: K8sObject[] = [];
  for (const pod of registry.list(PODS, owner.metadata.namespace)) {
    const matches = selectorMatches(selector, labelsOf(pod));
    const ref = controllerRef(pod);
    if (ref && ref.uid !== owner.metadata.uid) continue;
    if (ref && !matches) {
      const released = cloneObject(pod);
      released.metadata.ownerReferences = (pod.metadata.ownerReferences as JsonObject[]).filter((r) => r.uid !== owner.metadata.uid);
      bestEffort(() => registry.update(PODS, pod.metadata.namespace, pod.metadata.name ?? "", released));
      continue;
    }
    if (!ref && matches && !pod.metadata.deletionTimestamp && !owner.metadata.deletionTimestamp) {
      const adopted = cloneObject(pod);
      adopted.metadata.ownerReferences = [...((pod.metadata.ownerReferences as JsonObject[] | undefined) ?? []), controllerReferenceTo(owner) as unknown as JsonObject];
      const written = bestEffort(() => registry.update(PODS, pod.metadata.namespace, pod.metadata.name ?? "", adopted));
      if (written) owned.push(written);
      continue;
    }
    if (matches) owned.push(pod);
  }
  return owned;
}

function syncReplicaSet(registry: Registry, rs: K8sObject, now: number): void {
  const spec = isJsonObject(rs.spec) ? rs.spec : {};
  const namespace = rs.metadata.namespace ?? "";
  const active = claimPods(registry, rs, spec.selector).filter(isActive);
  const want = int(spec.replicas, 1);
  if (!rs.metadata.deletionTimestamp) {
    if (active.length < want) {
      for (let i = 0; i < Math.min(want - active.length, BURST); i++) {
        const body = podFromTemplate(spec.template, rs, { generateName: `${rs.metadata.name ?? ""}-` });
        const created = bestEffort(() => registry.create(PODS, namespace, body));
        if (!created) break;
        active.push(created);
        recordEvent(registry, COMPONENT, rs, "Normal", "SuccessfulCreate", `Created pod: ${created.metadata.name ?? ""}`);
      }
    } else if (active.length > want) {
      const surplus = [...active].sort(deletionOrder).slice(0, active.length - want);
      for (const pod of surplus) {
        if (!bestEffort(() => registry.delete(PODS, namespace, pod.metadata.name ?? ""))) continue;
        active.splice(active.indexOf(pod), 1);
        recordEvent(registry, COMPONENT, rs, "Normal", "SuccessfulDelete", `Deleted pod: ${pod.metadata.name ?? ""}`);
      }
    }
  }
  const template = isJsonObject(spec.template) && isJsonObject(spec.template.metadata) ? spec.template.metadata : {};
  const templateLabels = isJsonObject(template.labels) ? (template.labels as Record<string, string>) : {};
  const minReady = int(spec.minReadySeconds, 0);
  const status: JsonObject = {
    replicas: active.length,
    fullyLabeledReplicas: active.filter((p) => Object.entries(templateLabels).every(([k, v]) => labelsOf(p)[k] === v)).length,
    readyReplicas: active.filter(isReady).length,
    availableReplicas: active.filter((p) => isAvailable(p, minReady, now)).length,
    observedGeneration: rs.metadata.generation ?? 1,
  };
  if (jsonEqual(status, rs.status)) return;
  const next = cloneObject(rs);
  next.status = status;
  bestEffort(() => registry.update(REPLICASETS, namespace, rs.metadata.name ?? "", next, { subresource: "status" }));
}

export function replicaSetController(registry: Registry): Controller {
  return {
    name: "replicaset",
    watches: [REPLICASETS, PODS],
    resyncMs: 1000,
    sync() {
      const now = Date.now();
      for (const rs of registry.list(REPLICASETS, undefined)) {
        const current = registry.find(REPLICASETS, rs.metadata.namespace, rs.metadata.name ?? "");
        if (current) syncReplicaSet(registry, current, now);
      }
    },
  };
}

