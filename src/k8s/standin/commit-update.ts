/**
 * The last step of an update (PUT or PATCH) in the K8s stand-in's registry (staging and tests
 * only), as Store.Update and rest.BeforeUpdate do it: optimistic concurrency, what an update may not
 * change, validation, and no write (nor event) when nothing changed.
 */
import { conflict, invalid, invalidValue, OPTIMISTIC_LOCK_MESSAGE, type ApiError } from "./api-errors";
import type { FieldError } from "./api-errors";
import type { K8sObject } from "./k8s-object";
import { cloneObject, jsonEqual, objectKey } from "./k8s-object";
import type { WriteOptions } from "./registry";
import type { ResourceType } from "./resources";
import { qualifiedResource } from "./resources";
import { strategyFor } from "./strategies";
import type { Store } from "./store";
import { objectMetaErrors } from "./validation";

export function throwIfInvalid(rt: ResourceType, obj: K8sObject, errors: FieldError[]): void {
  if (errors.length > 0) throw invalid(rt, obj.metadata.name ?? "", errors);
}

/** A UID in a PUT body is a storage precondition; a mismatch comes back as etcd3's invalid-object error. */
export function uidPreconditionFailed(rt: ResourceType, namespace: string | undefined, name: string, wanted: string, actual: string | undefined): ApiError {
  const key = `/registry/${qualifiedResource(rt)}/${objectKey(namespace, name)}`;
  return conflict(
    rt,
    name,
    `StorageError: invalid object, Code: 4, Key: ${key}, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: ${wanted}, UID in object meta: ${actual ?? ""}`,
  );
}

/** Writes `candidate` over `existing` (or, with `subresource: "status"`, only its status). */
export function commitUpdate(store: Store, rt: ResourceType, existing: K8sObject, candidate: K8sObject, options: WriteOptions): K8sObject {
  const name = existing.metadata.name ?? "";
  const requestedRV = candidate.metadata.resourceVersion;
  if (requestedRV !== undefined && requestedRV !== "" && requestedRV !== existing.metadata.resourceVersion) {
    throw conflict(rt, name, OPTIMISTIC_LOCK_MESSAGE);
  }
  const strategy = strategyFor(rt);
  strategy.normalize(candidate);
  const metaErrors: FieldError[] = [];
  if (candidate.metadata.uid && candidate.metadata.uid !== existing.metadata.uid) {
    metaErrors.push(invalidValue("metadata.uid", candidate.metadata.uid, "field is immutable"));
  }
  let next: K8sObject;
  if (options.subresource === "status") {
    next = cloneObject(existing);
    next.status = cloneObject(candidate.status);
  } else {
    next = candidate;
    const meta = next.metadata;
    const old = existing.metadata;
    meta.uid = old.uid;
    meta.creationTimestamp = old.creationTimestamp;
    // An update can never set, move or clear a deletion.
    if (old.deletionTimestamp) meta.deletionTimestamp = old.deletionTimestamp;
    else delete meta.deletionTimestamp;
    if (old.deletionGracePeriodSeconds !== undefined) meta.deletionGracePeriodSeconds = old.deletionGracePeriodSeconds;
    else delete meta.deletionGracePeriodSeconds;
    delete meta.managedFields;
    strategy.prepareForUpdate(next, existing);
  }
  next.metadata.resourceVersion = existing.metadata.resourceVersion;
  const errors = [...metaErrors, ...objectMetaErrors(next, strategy.nameRule), ...strategy.validate(next), ...strategy.validateUpdate(next, existing)];
  throwIfInvalid(rt, next, errors);
  // A write that changes nothing is not a write: same resourceVersion, no watch event.
  if (jsonEqual(next, existing)) return existing;
  if (options.dryRun) return next;
  const resource = qualifiedResource(rt);
  const meta = next.metadata;
  // The last finalizer of an object being deleted with no grace left: the object goes (ShouldDeleteDuringUpdate).
  if (meta.deletionTimestamp && (meta.finalizers ?? []).length === 0 && (meta.deletionGracePeriodSeconds ?? 0) === 0) {
    return store.remove(resource, next);
  }
  return store.update(resource, next);
}
