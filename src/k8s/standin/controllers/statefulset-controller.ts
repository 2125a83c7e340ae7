/**
 * The StatefulSet controller of the K8s stand-in (staging and tests only), after
 * pkg/controller/statefulset: pods `<set>-<ordinal>` with stable hostname and subdomain
 * (spec.serviceName), a PersistentVolumeClaim `<claim>-<set>-<ordinal>` per volumeClaimTemplate made
 * before the pod and kept when it goes (owned by the set under whenDeleted=Delete); OrderedReady
 * creates in order and removes in reverse, one at a time, each waiting for the previous to be
 * Running and Ready, Parallel does it all at once; RollingUpdate replaces pods of an old template
 * from the highest ordinal down to `partition`. The revision is a hash of the template in the
 * `controller-revision-hash` label; ControllerRevision objects are not kept.
 */
import type { AdmittedWrites } from "../admission/admitted-writes";
import type { JsonObject, K8sObject } from "../k8s-object";
import { cloneObject, isJsonObject, jsonEqual } from "../k8s-object";
import type { Registry } from "../registry";
import { PODS } from "../registry";
import { resourceByKind } from "../resources";
import { podTemplateHash } from "./deployment-controller";
import type { PodEvents } from "./create-pod";
import { createControlledPod } from "./create-pod";
import { recordEvent } from "./events";
import type { Controller } from "./loop";
import { bestEffort } from "./loop";
import { controllerReferenceTo, int, isActive, isAvailable, isReady, phaseOf, podFromTemplate } from "./owned-pods";
import { claimPods } from "./replicaset-controller";

export const STATEFULSETS = resourceByKind("StatefulSet");
const CLAIMS = resourceByKind("PersistentVolumeClaim");
const COMPONENT = "statefulset-controller";
const REVISION_LABEL = "controller-revision-hash";

function ordinalOf(set: K8sObject, pod: K8sObject): number | undefined {
  const prefix = `${set.metadata.name ?? ""}-`;
  const name = pod.metadata.name ?? "";
  const rest = name.startsWith(prefix) ? name.slice(prefix.length) : "";
  return /^\d+$/.test(rest) ? Number(rest) : undefined;
}

const runningAndReady = (pod: K8sObject): boolean => phaseOf(pod) === "Running" && isReady(pod);

function claimTemplates(spec: JsonObject): JsonObject[] {
  return Array.isArray(spec.volumeClaimTemplates) ? spec.volumeClaimTemplates.filter(isJsonObject) : [];
}

function claimName(template: JsonObject, set: K8sObject, ordinal: number): string {
  const meta = isJsonObject(template.metadata) ? template.metadata : {};
  return `${String(meta.name ?? "")}-${set.metadata.name ?? ""}-${ordinal}`;
}

function newPod(set: K8sObject, ordinal: number, revision: string): K8sObject {
  const spec = set.spec as JsonObject;
  const name = `${set.metadata.name ?? ""}-${ordinal}`;
  const pod = podFromTemplate(spec.template, set, { name });
  pod.metadata.labels = { ...pod.metadata.labels, [REVISION_LABEL]: revision, "statefulset.kubernetes.io/pod-name": name, "apps.kubernetes.io/pod-index": String(ordinal) };
  const podSpec = pod.spec as JsonObject;
  podSpec.hostname = name;
  if (typeof spec.serviceName === "string" && spec.serviceName !== "") podSpec.subdomain = spec.serviceName;
  const volumes = (Array.isArray(podSpec.volumes) ? podSpec.volumes.filter(isJsonObject) : []).filter((v) => !claimTemplates(spec).some((t) => (t.metadata as JsonObject | undefined)?.name === v.name));
  for (const template of claimTemplates(spec)) {
    volumes.push({ name: (template.metadata as JsonObject | undefined)?.name, persistentVolumeClaim: { claimName: claimName(template, set, ordinal) } });
  }
  if (volumes.length > 0) podSpec.volumes = volumes;
  return pod;
}

function ensureClaims(registry: Registry, set: K8sObject, ordinal: number): boolean {
  const spec = set.spec as JsonObject;
  const policy = isJsonObject(spec.persistentVolumeClaimRetentionPolicy) ? spec.persistentVolumeClaimRetentionPolicy : {};
  const selector = isJsonObject(spec.selector) && isJsonObject(spec.selector.matchLabels) ? spec.selector.matchLabels : {};
  for (const template of claimTemplates(spec)) {
    const name = claimName(template, set, ordinal);
    const existing = registry.find(CLAIMS, set.metadata.namespace, name);
    // As createMissingPersistentVolumeClaims: a claim being deleted ("pvc ... is being deleted")
    // holds the pod back until it is gone and made anew, rather than starting the pod on it.
    if (existing?.metadata.deletionTimestamp) return false;
    if (existing) continue;
    const meta = isJsonObject(template.metadata) ? template.metadata : {};
    const owner = policy.whenDeleted === "Delete" ? { ownerReferences: [{ ...controllerReferenceTo(set), controller: false }] } : {};
    const created = bestEffort(() =>
      registry.create(CLAIMS, set.metadata.namespace, {
        metadata: { name, labels: { ...(isJsonObject(meta.labels) ? meta.labels : {}), ...selector }, ...owner },
        spec: cloneObject(template.spec),
      }),
    );
    if (!created) return false;
    recordEvent(registry, COMPONENT, set, "Normal", "SuccessfulCreate", `create Claim ${name} Pod ${set.metadata.name ?? ""}-${ordinal} in StatefulSet ${set.metadata.name ?? ""} success`);
  }
  return true;
}

const SET_EVENTS = (set: K8sObject): PodEvents => ({
  created: (name) => `create Pod ${name} in StatefulSet ${set.metadata.name ?? ""} successful`,
  failed: (name, why) => `create Pod ${name} in StatefulSet ${set.metadata.name ?? ""} failed error: ${why}`,
});

async function syncStatefulSet(writes: AdmittedWrites, set: K8sObject, now: number): Promise<void> {
  const registry = writes.registry;
  const spec = isJsonObject(set.spec) ? set.spec : {};
  const namespace = set.metadata.namespace ?? "";
  const replicas = int(spec.replicas, 1);
  const revision = `${set.metadata.name ?? ""}-${podTemplateHash(spec.template, 0)}`;
  const ordered = spec.podManagementPolicy !== "Parallel";
  const pods = new Map<number, K8sObject>();
  for (const pod of claimPods(registry, set, spec.selector)) {
    const ordinal = ordinalOf(set, pod);
    if (ordinal !== undefined) pods.set(ordinal, pod);
  }
  const reconcilePods = async (): Promise<void> => {
    if (set.metadata.deletionTimestamp) return;
    for (let ordinal = 0; ordinal < replicas; ordinal++) {
      const pod = pods.get(ordinal);
      if (pod && phaseOf(pod) === "Failed" && !pod.metadata.deletionTimestamp) {
        bestEffort(() => registry.delete(PODS, namespace, pod.metadata.name ?? ""));
        if (ordered) return;
        continue;
      }
      if (!pod) {
        if (!ensureClaims(registry, set, ordinal)) return;
        const created = await createControlledPod(writes, COMPONENT, set, newPod(set, ordinal, revision), SET_EVENTS(set));
        if (created) pods.set(ordinal, created);
        if (ordered) return;
        continue;
      }
      if (ordered && !runningAndReady(pod)) return;
    }
    const surplus = [...pods.keys()].filter((o) => o >= replicas).sort((a, b) => b - a);
    for (const ordinal of ordered ? surplus.slice(0, 1) : surplus) {
      const pod = pods.get(ordinal) as K8sObject;
      if (pod.metadata.deletionTimestamp) return;
      bestEffort(() => registry.delete(PODS, namespace, pod.metadata.name ?? ""));
      recordEvent(registry, COMPONENT, set, "Normal", "SuccessfulDelete", `delete Pod ${pod.metadata.name ?? ""} in StatefulSet ${set.metadata.name ?? ""} successful`);
    }
    if (surplus.length > 0) return;
    const strategy = isJsonObject(spec.updateStrategy) ? spec.updateStrategy : {};
    if (strategy.type === "OnDelete") return;
    const partition = int(isJsonObject(strategy.rollingUpdate) ? strategy.rollingUpdate.partition : undefined, 0);
    if ([...pods.values()].some((p) => !runningAndReady(p))) return;
    for (let ordinal = replicas - 1; ordinal >= partition; ordinal--) {
      const pod = pods.get(ordinal);
      if (pod && pod.metadata.labels?.[REVISION_LABEL] !== revision) {
        bestEffort(() => registry.delete(PODS, namespace, pod.metadata.name ?? ""));
        return;
      }
    }
  };
  await reconcilePods();

  const current = claimPods(registry, set, spec.selector).filter((p) => ordinalOf(set, p) !== undefined);
  const previous = isJsonObject(set.status) ? set.status : {};
  const updated = current.filter((p) => p.metadata.labels?.[REVISION_LABEL] === revision).length;
  const currentRevision = updated === replicas && current.length === replicas ? revision : String(previous.currentRevision ?? revision);
  const status: JsonObject = {
    observedGeneration: set.metadata.generation ?? 1,
    replicas: current.filter(isActive).length,
    readyReplicas: current.filter((p) => isActive(p) && isReady(p)).length,
    currentReplicas: current.filter((p) => p.metadata.labels?.[REVISION_LABEL] === currentRevision).length,
    updatedReplicas: updated,
    availableReplicas: current.filter((p) => isActive(p) && isAvailable(p, int(spec.minReadySeconds, 0), now)).length,
    currentRevision,
    updateRevision: revision,
    collisionCount: 0,
  };
  if (jsonEqual(status, set.status)) return;
  const next = cloneObject(set);
  next.status = status;
  bestEffort(() => registry.update(STATEFULSETS, namespace, set.metadata.name ?? "", next, { subresource: "status" }));
}

export function statefulSetController(writes: AdmittedWrites): Controller {
  const registry = writes.registry;
  return {
    name: "statefulset",
    watches: [STATEFULSETS, PODS],
    resyncMs: 1000,
    async sync() {
      const now = Date.now();
      for (const set of registry.list(STATEFULSETS, undefined)) {
        const current = registry.find(STATEFULSETS, set.metadata.namespace, set.metadata.name ?? "");
        if (current) await syncStatefulSet(writes, current, now);
      }
    },
  };
}
