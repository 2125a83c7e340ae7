/**
 * The NamespaceLifecycle rules of the K8s stand-in's registry (staging and tests only): content only
 * goes into an existing namespace that is not terminating, and deleting a namespace marks it
 * Terminating (namespace-controller.ts then empties and removes it).
 */
import type { DeleteOptions, DeleteResult } from "./deletion";
import { forbidden, notFound } from "./api-errors";
import type { K8sObject } from "./k8s-object";
import { cloneObject, formatTime, isJsonObject } from "./k8s-object";
import type { ResourceType } from "./resources";
import { qualifiedResource, resourceByKind } from "./resources";
import type { Store } from "./store";

export const NAMESPACES = resourceByKind("Namespace");

/** Namespaces the API server refuses to delete. */
const UNDELETABLE_NAMESPACES = new Set(["default", "kube-system", "kube-public"]);

/** NamespaceLifecycle admission: the namespace must exist and not be terminating. */
export function admitIntoNamespace(rt: ResourceType, obj: K8sObject, findNamespace: (name: string) => K8sObject | undefined): void {
  const namespace = obj.metadata.namespace ?? "";
  const ns = findNamespace(namespace);
  if (!ns) throw notFound(NAMESPACES, namespace);
  if (ns.metadata.deletionTimestamp) {
    throw forbidden(rt, obj.metadata.name ?? obj.metadata.generateName ?? "", `unable to create new content in namespace ${namespace} because it is being terminated`);
  }
}

/** DELETE of a namespace: Terminating from now on, removed by the namespace controller once empty. */
export function beginNamespaceDeletion(store: Store, ns: K8sObject, options: DeleteOptions): DeleteResult {
  const name = ns.metadata.name ?? "";
  if (UNDELETABLE_NAMESPACES.has(name)) throw forbidden(NAMESPACES, name, "this namespace may not be deleted");
  if (ns.metadata.deletionTimestamp) return { object: ns, removed: false };
  const next = cloneObject(ns);
  next.metadata.deletionTimestamp = formatTime(new Date());
  next.metadata.deletionGracePeriodSeconds = 0;
  next.status = { ...(isJsonObject(next.status) ? next.status : {}), phase: "Terminating" };
  if (options.dryRun) return { object: next, removed: false };
  return { object: store.update(qualifiedResource(NAMESPACES), next), removed: false };
}
