/**
 * DELETE in the K8s stand-in's registry (staging and tests only), as rest.BeforeDelete and
 * Store.Delete decide it: preconditions, propagation policy, graceful deletion and finalizers.
 */
import { ApiError, deletePreconditionFailed, notSupported } from "./api-errors";
import type { K8sObject } from "./k8s-object";
import { cloneObject, formatTime, jsonEqual } from "./k8s-object";
import type { ResourceType } from "./resources";
import { qualifiedResource } from "./resources";
import { strategyFor } from "./strategies";
import type { Store } from "./store";

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: string;
  dryRun?: boolean;
}

export interface DeleteResult {
  object: K8sObject;
  /** False while the object waits for its grace period or finalizers. */
  removed: boolean;
}

const PROPAGATION_POLICIES = ["Orphan", "Background", "Foreground"] as const;

/** A valid propagationPolicy and the uid/resourceVersion preconditions, checked before anything is written. */
export function checkDeleteOptions(rt: ResourceType, existing: K8sObject, options: DeleteOptions): void {
  const name = existing.metadata.name ?? "";
  const { preconditions, propagationPolicy } = options;
  if (propagationPolicy !== undefined && !PROPAGATION_POLICIES.includes(propagationPolicy as (typeof PROPAGATION_POLICIES)[number])) {
    throw new ApiError(422, "Invalid", `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: ${notSupported("propagationPolicy", propagationPolicy, PROPAGATION_POLICIES).message}`);
  }
  if (preconditions?.uid && preconditions.uid !== existing.metadata.uid) {
    throw deletePreconditionFailed(rt, name, `the UID in the precondition (${preconditions.uid}) does not match the UID in record (${existing.metadata.uid ?? ""}). The object might have been deleted and then recreated`);
  }
  if (preconditions?.resourceVersion && preconditions.resourceVersion !== existing.metadata.resourceVersion) {
    throw deletePreconditionFailed(
      rt,
      name,
      `the ResourceVersion in the precondition (${preconditions.resourceVersion}) does not match the ResourceVersion in record (${existing.metadata.resourceVersion ?? ""}). The object might have been modified`,
    );
  }
}

/**
 * Kinds with graceful deletion (pods) are first written with deletionTimestamp/deletionGracePeriodSeconds
 * (MODIFIED), even with grace 0, and removed (DELETED) only once the grace is 0 and no finalizers
 * remain; a pending deletion only ever gets shorter. Other kinds go at once unless finalizers hold them.
 */
export function deleteObject(store: Store, rt: ResourceType, found: K8sObject, options: DeleteOptions): DeleteResult {
  const existing = withPropagationFinalizer(rt, found, options.propagationPolicy);
  const resource = qualifiedResource(rt);
  const strategy = strategyFor(rt);
  const requested = options.gracePeriodSeconds !== undefined && options.gracePeriodSeconds < 0 ? 1 : options.gracePeriodSeconds;
  const pendingFinalizers = (existing.metadata.finalizers ?? []).length > 0;
  const write = (next: K8sObject): K8sObject => (options.dryRun ? next : store.update(resource, next));
  const remove = (last: K8sObject): DeleteResult => ({ object: options.dryRun ? last : store.remove(resource, last), removed: true });

  const graceful = strategy.gracePeriodForDelete !== undefined;
  const current = existing.metadata.deletionGracePeriodSeconds;
  const deleting = existing.metadata.deletionTimestamp !== undefined;
  let next: K8sObject | undefined;
  if (graceful && deleting && current !== undefined && current > 0) {
    if (requested === undefined || requested >= current) return { object: existing, removed: false };
    next = cloneObject(existing);
    const start = Date.parse(existing.metadata.deletionTimestamp ?? "") - current * 1000;
    next.metadata.deletionTimestamp = formatTime(new Date(start + requested * 1000));
    next.metadata.deletionGracePeriodSeconds = requested;
  } else if (graceful && !deleting) {
    const grace = strategy.gracePeriodForDelete?.(existing, requested) ?? 0;
    next = cloneObject(existing);
    next.metadata.deletionTimestamp = formatTime(new Date(Date.now() + grace * 1000));
    next.metadata.deletionGracePeriodSeconds = grace;
  }
  if (next) {
    const written = write(next);
    if (pendingFinalizers || (written.metadata.deletionGracePeriodSeconds ?? 0) > 0) return { object: written, removed: false };
    return remove(written);
  }
  if (!pendingFinalizers) return remove(existing);
  // Held by finalizers: marked as deleting (now, grace 0) until the last one goes.
  const marked = cloneObject(existing);
  const now = new Date();
  if (!deleting || Date.parse(existing.metadata.deletionTimestamp ?? "") > now.getTime()) marked.metadata.deletionTimestamp = formatTime(now);
  marked.metadata.deletionGracePeriodSeconds = 0;
  if (jsonEqual(marked, existing)) return { object: existing, removed: false };
  return { object: write(marked), removed: false };
}

/**
 * Foreground and Orphan deletion hold the object with the garbage collector's finalizer
 * (deletionFinalizersForGarbageCollection); batch/v1 Jobs orphan their pods unless told otherwise.
 */
function withPropagationFinalizer(rt: ResourceType, obj: K8sObject, policy: string | undefined): K8sObject {
  const effective = policy ?? (rt.kind === "Job" ? "Orphan" : "Background");
  const finalizer = effective === "Foreground" ? "foregroundDeletion" : effective === "Orphan" ? "orphan" : undefined;
  const finalizers = obj.metadata.finalizers ?? [];
  if (!finalizer || obj.metadata.deletionTimestamp !== undefined || finalizers.includes(finalizer)) return obj;
  const next = cloneObject(obj);
  next.metadata.finalizers = [...finalizers, finalizer];
  return next;
}
