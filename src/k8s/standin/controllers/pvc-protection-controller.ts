/**
 * The pvc-protection controller of the K8s stand-in (staging and tests only), after
 * pkg/controller/volume/pvcprotection: a PersistentVolumeClaim being deleted keeps its
 * `kubernetes.io/pvc-protection` finalizer while a pod uses it, and loses it (so the claim goes)
 * once none does; a claim not being deleted that lacks the finalizer gets it (claims made before
 * the admission plugin). As upstream's podUsesPVC, a pod uses a claim when it is scheduled
 * (spec.nodeName: the kubelet refuses to start an unscheduled pod on a claim being deleted) and
 * names it in a `persistentVolumeClaim` volume, whatever its phase: a finished pod holds its claim
 * until the pod object is gone. Generic ephemeral volumes are not served, so their case is absent.
 */
import { PVC_PROTECTION_FINALIZER } from "../admission/storage-object-in-use-protection";
import type { JsonObject, K8sObject } from "../k8s-object";
import { cloneObject, isJsonObject } from "../k8s-object";
import type { Registry } from "../registry";
import { PODS } from "../registry";
import { resourceByKind } from "../resources";
import type { Controller } from "./loop";
import { bestEffort } from "./loop";

const CLAIMS = resourceByKind("PersistentVolumeClaim");

/** Whether the pod holds the claim (same namespace assumed), as upstream's podUsesPVC. */
export function podUsesClaim(pod: K8sObject, claimName: string): boolean {
  const spec = isJsonObject(pod.spec) ? pod.spec : {};
  if (typeof spec.nodeName !== "string" || spec.nodeName === "") return false;
  const volumes = Array.isArray(spec.volumes) ? spec.volumes.filter(isJsonObject) : [];
  return volumes.some((v) => isJsonObject(v.persistentVolumeClaim) && (v.persistentVolumeClaim as JsonObject).claimName === claimName);
}

function setFinalizer(registry: Registry, claim: K8sObject, present: boolean): void {
  const next = cloneObject(claim);
  const others = (claim.metadata.finalizers ?? []).filter((f) => f !== PVC_PROTECTION_FINALIZER);
  next.metadata.finalizers = present ? [...others, PVC_PROTECTION_FINALIZER] : others;
  bestEffort(() => registry.update(CLAIMS, claim.metadata.namespace, claim.metadata.name ?? "", next));
}

export function pvcProtectionController(registry: Registry): Controller {
  return {
    name: "pvc-protection",
    watches: [CLAIMS, PODS],
    sync() {
      for (const claim of registry.list(CLAIMS, undefined)) {
        const protectedClaim = (claim.metadata.finalizers ?? []).includes(PVC_PROTECTION_FINALIZER);
        if (claim.metadata.deletionTimestamp === undefined) {
          if (!protectedClaim) setFinalizer(registry, claim, true);
          continue;
        }
        if (!protectedClaim) continue;
        const used = registry.list(PODS, claim.metadata.namespace).some((pod) => podUsesClaim(pod, claim.metadata.name ?? ""));
        if (!used) setFinalizer(registry, claim, false);
      }
    },
  };
}
