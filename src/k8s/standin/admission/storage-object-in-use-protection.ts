/**
 * The StorageObjectInUseProtection admission plugin of kube-apiserver
 * (plugin/pkg/admission/storage/storageobjectinuseprotection), for the K8s stand-in (staging and
 * tests only): every PersistentVolumeClaim created gets the `kubernetes.io/pvc-protection`
 * finalizer, so that deleting a claim a pod still uses only marks it (deletionTimestamp,
 * "Terminating") until the pvc-protection controller (controllers/pvc-protection-controller.ts)
 * sees no pod using it and removes the finalizer. PersistentVolumes are not served, so their
 * `kubernetes.io/pv-protection` half has nothing to do.
 */
import type { K8sObject } from "../k8s-object";
import type { Registry } from "../registry";
import type { ResourceType } from "../resources";

export const PVC_PROTECTION_FINALIZER = "kubernetes.io/pvc-protection";

export function storageObjectInUseProtection(rt: ResourceType, obj: K8sObject, _registry: Registry): void {
  if (rt.kind !== "PersistentVolumeClaim") return;
  const finalizers = obj.metadata.finalizers ?? [];
  if (!finalizers.includes(PVC_PROTECTION_FINALIZER)) obj.metadata.finalizers = [...finalizers, PVC_PROTECTION_FINALIZER];
}
