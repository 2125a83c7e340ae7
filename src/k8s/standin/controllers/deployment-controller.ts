/**
 * The Deployment controller of the K8s stand-in (staging and tests only), after
 * pkg/controller/deployment: one ReplicaSet per pod template, named `<deployment>-<pod-template-hash>`
 * with that hash in its labels and selector and a `deployment.kubernetes.io/revision`; RollingUpdate
 * within maxSurge/maxUnavailable or Recreate (old pods gone before new ones start); paused
 * Deployments only scale; old ReplicaSets beyond revisionHistoryLimit are deleted.
 * The hash is FNV-1a over the template's canonical JSON and the collisionCount, encoded as
 * rand.SafeEncodeString does (upstream hashes Go's printed form of the struct, so the value differs).
 */
import type { JsonObject, K8sObject } from "../k8s-object";
import { cloneObject, isJsonObject, jsonEqual } from "../k8s-object";
import type { Registry } from "../registry";
import { PODS } from "../registry";
import { resourceByKind } from "../resources";
import { oldReplicaSetSizes, newReplicaSetReplicas, rolloutLimits, specReplicas } from "./deployment-rollout";
import { deploymentStatus } from "./deployment-status";
import { recordEvent } from "./events";
import type { Controller } from "./loop";
import { bestEffort } from "./loop";
import { controllerReferenceTo, int, isActive, isControlledBy } from "./owned-pods";
import { REPLICASETS } from "./replicaset-controller";

export const DEPLOYMENTS = resourceByKind("Deployment");
const COMPONENT = "deployment-controller";
const HASH_LABEL = "pod-template-hash";
const REVISION = "deployment.kubernetes.io/revision";
const SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (isJsonObject(value)) return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
  return JSON.stringify(value);
}

export function podTemplateHash(template: unknown, collisionCount: number): string {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(canonical(template) + (collisionCount > 0 ? String(collisionCount) : ""), "utf8")) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return [...String(hash)].map((c) => SAFE_ALPHABET.charAt(c.charCodeAt(0) % SAFE_ALPHABET.length)).join("");
}

function templateWithoutHash(rs: K8sObject): unknown {
  const template = cloneObject(isJsonObject(rs.spec) ? rs.spec.template : undefined);
  if (isJsonObject(template) && isJsonObject(template.metadata) && isJsonObject(template.metadata.labels)) {
    delete template.metadata.labels[HASH_LABEL];
    if (Object.keys(template.metadata.labels).length === 0) delete template.metadata.labels;
  }
  return template;
}

const revisionOf = (obj: K8sObject): number => Number(obj.metadata.annotations?.[REVISION] ?? 0) || 0;

function setReplicas(registry: Registry, d: K8sObject, rs: K8sObject, replicas: number, annotations: Record<string, string> = {}): K8sObject | undefined {
  const limits = rolloutLimits(d);
  const next = cloneObject(rs);
  (next.spec as JsonObject).replicas = replicas;
  next.metadata.annotations = {
    ...next.metadata.annotations,
    "deployment.kubernetes.io/desired-replicas": String(int((d.spec as JsonObject).replicas, 1)),
    "deployment.kubernetes.io/max-replicas": String(int((d.spec as JsonObject).replicas, 1) + limits.maxSurge),
    ...annotations,
  };
  if (jsonEqual(next, rs)) return rs;
  const written = bestEffort(() => registry.update(REPLICASETS, rs.metadata.namespace, rs.metadata.name ?? "", next));
  if (written && replicas !== specReplicas(rs)) {
    const verb = replicas > specReplicas(rs) ? "up" : "down";
    recordEvent(registry, COMPONENT, d, "Normal", "ScalingReplicaSet", `Scaled ${verb} replica set ${rs.metadata.name ?? ""} from ${specReplicas(rs)} to ${replicas}`);
  }
  return written;
}

function createNewReplicaSet(registry: Registry, d: K8sObject, all: readonly K8sObject[], replicas: number): K8sObject | undefined {
  const spec = d.spec as JsonObject;
  const status = isJsonObject(d.status) ? d.status : {};
  const collisionCount = int(status.collisionCount, 0);
  const hash = podTemplateHash(spec.template, collisionCount);
  const name = `${d.metadata.name ?? ""}-${hash}`;
  const namespace = d.metadata.namespace ?? "";
  if (registry.find(REPLICASETS, namespace, name)) {
    // Another template hashed to this name: count the collision and try another name next pass.
    const next = cloneObject(d);
    next.status = { ...status, collisionCount: collisionCount + 1 };
    bestEffort(() => registry.update(DEPLOYMENTS, namespace, d.metadata.name ?? "", next, { subresource: "status" }));
    return undefined;
  }
  const template = cloneObject(spec.template) as JsonObject;
  const templateMeta = isJsonObject(template.metadata) ? template.metadata : {};
  templateMeta.labels = { ...(isJsonObject(templateMeta.labels) ? templateMeta.labels : {}), [HASH_LABEL]: hash };
  template.metadata = templateMeta;
  const selector = cloneObject(spec.selector) as JsonObject;
  selector.matchLabels = { ...(isJsonObject(selector.matchLabels) ? selector.matchLabels : {}), [HASH_LABEL]: hash };
  const revision = Math.max(0, ...all.map(revisionOf)) + 1;
  const created = bestEffort(() =>
    registry.create(REPLICASETS, namespace, {
      metadata: {
        name,
        labels: templateMeta.labels,
        annotations: {
          [REVISION]: String(revision),
          "deployment.kubernetes.io/desired-replicas": String(int(spec.replicas, 1)),
          "deployment.kubernetes.io/max-replicas": String(int(spec.replicas, 1) + rolloutLimits(d).maxSurge),
        },
        ownerReferences: [controllerReferenceTo(d)],
      },
      spec: { replicas, minReadySeconds: spec.minReadySeconds ?? 0, selector, template },
    }),
  );
  if (created) recordEvent(registry, COMPONENT, d, "Normal", "ScalingReplicaSet", `Scaled up replica set ${name} from 0 to ${replicas}`);
  return created;
}

/** Old ReplicaSets past revisionHistoryLimit that have scaled to nothing go, oldest first. */
function cleanupHistory(registry: Registry, d: K8sObject, old: readonly K8sObject[]): void {
  const limit = int((d.spec as JsonObject).revisionHistoryLimit, 10);
  const idle = old.filter((rs) => specReplicas(rs) === 0 && int((rs.status as JsonObject | undefined)?.replicas, 0) === 0 && !rs.metadata.deletionTimestamp);
  idle.sort((a, b) => revisionOf(a) - revisionOf(b));
  for (const rs of idle.slice(0, Math.max(idle.length - limit, 0))) bestEffort(() => registry.delete(REPLICASETS, rs.metadata.namespace, rs.metadata.name ?? ""));
}

function syncDeployment(registry: Registry, d: K8sObject, now: Date): void {
  const spec = isJsonObject(d.spec) ? d.spec : {};
  const namespace = d.metadata.namespace ?? "";
  const replicas = int(spec.replicas, 1);
  const limits = rolloutLimits(d);
  const owned = (): K8sObject[] => registry.list(REPLICASETS, namespace).filter((rs) => isControlledBy(rs, d));
  let all = owned();
  let newRS = all.find((rs) => jsonEqual(templateWithoutHash(rs), spec.template));
  const maxRevision = Math.max(0, ...all.map(revisionOf));
  const rollingOut = !d.metadata.deletionTimestamp && spec.paused !== true;
  if (rollingOut) {
    const old = all.filter((rs) => rs !== newRS);
    if (isJsonObject(spec.strategy) && spec.strategy.type === "Recreate") {
      for (const rs of old) if (specReplicas(rs) > 0) setReplicas(registry, d, rs, 0);
      const oldPodsRunning = registry.list(PODS, namespace).some((p) => isActive(p) && old.some((rs) => isControlledBy(p, rs)));
      if (!oldPodsRunning) {
        if (!newRS) newRS = createNewReplicaSet(registry, d, all, replicas);
        else setReplicas(registry, d, newRS, replicas);
      }
    } else {
      const size = newReplicaSetReplicas(replicas, limits, newRS, all);
      if (!newRS) newRS = createNewReplicaSet(registry, d, all, size);
      else if (size !== specReplicas(newRS) || revisionOf(newRS) < maxRevision) {
        // A template rolled back to gets the next revision again.
        const revision: Record<string, string> = revisionOf(newRS) < maxRevision ? { [REVISION]: String(maxRevision + 1) } : {};
        newRS = setReplicas(registry, d, newRS, size, revision) ?? newRS;
      }
      if (newRS) for (const [rs, size] of oldReplicaSetSizes(replicas, limits, newRS, old)) setReplicas(registry, d, rs, size);
    }
    all = owned();
    newRS = all.find((rs) => jsonEqual(templateWithoutHash(rs), spec.template));
    cleanupHistory(registry, d, all.filter((rs) => rs !== newRS));
  } else if (newRS && spec.paused === true && specReplicas(newRS) !== replicas && all.length === 1) {
    setReplicas(registry, d, newRS, replicas);
  }
  const status = deploymentStatus(d, limits, newRS, owned(), now);
  const revision = newRS ? String(revisionOf(newRS)) : undefined;
  if (revision && d.metadata.annotations?.[REVISION] !== revision && !d.metadata.deletionTimestamp) {
    const annotated = cloneObject(d);
    annotated.metadata.annotations = { ...annotated.metadata.annotations, [REVISION]: revision };
    d = bestEffort(() => registry.update(DEPLOYMENTS, namespace, d.metadata.name ?? "", annotated)) ?? d;
  }
  if (jsonEqual(d.status, status)) return;
  const next = cloneObject(d);
  next.status = status;
  bestEffort(() => registry.update(DEPLOYMENTS, namespace, d.metadata.name ?? "", next, { subresource: "status" }));
}

export function deploymentController(registry: Registry): Controller {
  return {
    name: "deployment",
    watches: [DEPLOYMENTS, REPLICASETS, PODS],
    resyncMs: 1000,
    sync() {
      const now = new Date();
      for (const d of registry.list(DEPLOYMENTS, undefined)) {
        const current = registry.find(DEPLOYMENTS, d.metadata.namespace, d.metadata.name ?? "");
        if (current) syncDeployment(registry, current, now);
      }
    },
  };
}
