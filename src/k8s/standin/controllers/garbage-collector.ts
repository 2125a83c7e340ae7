/**
 * The garbage collector of the K8s stand-in (staging and tests only), after
 * pkg/controller/garbagecollector: an object whose owners (ownerReferences, by UID) are all gone
 * is deleted (in the background); references to owners that are gone are dropped. An owner
 * deleted with propagationPolicy=Foreground carries the `foregroundDeletion` finalizer until its
 * blocking dependents are gone (they are deleted in the foreground too); one deleted with Orphan
 * carries `orphan` until its dependents no longer reference it.
 */
import type { K8sObject } from "../k8s-object";
import { cloneObject } from "../k8s-object";
import type { Registry } from "../registry";
import type { ResourceType } from "../resources";
import { RESOURCES } from "../resources";
import type { Controller } from "./loop";
import { bestEffort } from "./loop";
import { ownerReferences } from "./owned-pods";

export const FOREGROUND_FINALIZER = "foregroundDeletion";
export const ORPHAN_FINALIZER = "orphan";

interface Entry {
  rt: ResourceType;
  obj: K8sObject;
}

const finalizersOf = (obj: K8sObject): string[] => obj.metadata.finalizers ?? [];
const deleting = (obj: K8sObject, finalizer: string): boolean => obj.metadata.deletionTimestamp !== undefined && finalizersOf(obj).includes(finalizer);

function everything(registry: Registry): Entry[] {
  return RESOURCES.flatMap((rt) => registry.list(rt, undefined).map((obj) => ({ rt, obj })));
}

function write(registry: Registry, { rt, obj }: Entry, edit: (next: K8sObject) => void): void {
  const next = cloneObject(obj);
  edit(next);
  bestEffort(() => registry.update(rt, obj.metadata.namespace, obj.metadata.name ?? "", next));
}

/** One pass over the dependents: delete orphans of deleted owners, drop dangling and orphaned references. */
function collectDependents(registry: Registry, byUid: Map<string, Entry>, entries: readonly Entry[]): void {
  for (const entry of entries) {
    const { rt, obj } = entry;
    const refs = ownerReferences(obj);
    if (refs.length === 0) continue;
    const owners = refs.map((ref) => byUid.get(ref.uid)?.obj);
    const gone = refs.filter((_, i) => owners[i] === undefined);
    const orphaning = refs.filter((_, i) => owners[i] !== undefined && deleting(owners[i] as K8sObject, ORPHAN_FINALIZER));
    const foreground = owners.some((o) => o !== undefined && deleting(o, FOREGROUND_FINALIZER));
    if (obj.metadata.deletionTimestamp === undefined && (gone.length === refs.length || foreground)) {
      bestEffort(() => registry.delete(rt, obj.metadata.namespace, obj.metadata.name ?? "", { propagationPolicy: foreground ? "Foreground" : "Background" }));
      continue;
    }
    const drop = new Set([...gone, ...orphaning].map((ref) => ref.uid));
    if (drop.size > 0) {
      write(registry, entry, (next) => {
        const kept = refs.filter((ref) => !drop.has(ref.uid));
        if (kept.length > 0) next.metadata.ownerReferences = kept;
        else delete next.metadata.ownerReferences;
      });
    }
  }
}

/** Owners waiting on dependents: their finalizer goes once nothing (blocking) references them. */
function releaseOwners(registry: Registry, entries: readonly Entry[]): void {
  const referenced = (owner: K8sObject, blockingOnly: boolean): boolean =>
    entries.some(({ obj }) => ownerReferences(obj).some((ref) => ref.uid === owner.metadata.uid && (!blockingOnly || ref.blockOwnerDeletion === true)));
  for (const entry of entries) {
    const { obj } = entry;
    for (const [finalizer, blockingOnly] of [
      [ORPHAN_FINALIZER, false],
      [FOREGROUND_FINALIZER, true],
    ] as const) {
      if (!deleting(obj, finalizer) || referenced(obj, blockingOnly)) continue;
      write(registry, entry, (next) => {
        next.metadata.finalizers = finalizersOf(obj).filter((f) => f !== finalizer);
      });
    }
  }
}

export function garbageCollector(registry: Registry): Controller {
  return {
    name: "garbage-collector",
    // Events and Leases change often and own nothing; they are still collected when their owners go.
    watches: RESOURCES.filter((rt) => rt.kind !== "Event" && rt.kind !== "Lease"),
    sync() {
      let entries = everything(registry);
      const byUid = new Map(entries.map((e) => [e.obj.metadata.uid ?? "", e]));
      collectDependents(registry, byUid, entries);
      entries = everything(registry);
      releaseOwners(registry, entries);
    },
  };
}
