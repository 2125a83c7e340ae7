/**
 * The write and read paths of the K8s stand-in (staging and tests only), after the API server's
 * generic registry (staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go):
 * create, get, list, update (PUT), patch, delete (deletion.ts, namespace-lifecycle.ts), and the
 * pods/binding subresource. Every call is synchronous, so writes are serialized.
 */
import { randomUUID } from "node:crypto";
import { ServiceAllocator, generateName } from "./allocators";
import { alreadyExists, badRequest, conflict, notFound } from "./api-errors";
import { commitUpdate, throwIfInvalid, uidPreconditionFailed } from "./commit-update";
import { checkDeleteOptions, deleteObject, type DeleteOptions, type DeleteResult } from "./deletion";
import type { JsonObject, K8sObject } from "./k8s-object";
import { cloneObject, formatTime, isJsonObject } from "./k8s-object";
import { NAMESPACES, admitIntoNamespace, beginNamespaceDeletion } from "./namespace-lifecycle";
import type { PatchType } from "./patch";
import { applyPatch } from "./patch";
import { setPodCondition } from "./pod-conditions";
import type { ResourceType } from "./resources";
import { fieldsOf, qualifiedResource, resourceByKind } from "./resources";
import type { FieldRequirement, LabelRequirement } from "./selectors";
import { matchesFields, matchesLabels } from "./selectors";
import type { IpFamily, ServiceIps } from "./service-ips";
import { strategyFor } from "./strategies";
import type { Store } from "./store";
import { objectMetaErrors } from "./validation";
import { decodeBody, nameMismatch, namespaceMismatch } from "./write-body";

export interface WriteOptions {
  dryRun?: boolean;
  /** Writes through a subresource: only `status` is taken from the new object. */
  subresource?: "status";
}

export interface Selection {
  labelSelector?: readonly LabelRequirement[];
  fieldSelector?: readonly FieldRequirement[];
}

export const PODS = resourceByKind("Pod");
const SERVICES = resourceByKind("Service");

export function matches(rt: ResourceType, obj: K8sObject, selection: Selection): boolean {
  return matchesLabels(selection.labelSelector ?? [], obj.metadata.labels) && matchesFields(selection.fieldSelector ?? [], fieldsOf(rt, obj));
}

/** A built-in mutating admission step, run on create after defaulting and before validation. */
export type AdmissionPlugin = (rt: ResourceType, obj: K8sObject, registry: Registry) => void;

export class Registry {
  private readonly services: ServiceAllocator;
  readonly serviceIps: ServiceIps;

  constructor(
    private readonly store: Store,
    private readonly admissionPlugins: readonly AdmissionPlugin[] = [],
    serviceFamily: IpFamily = "IPv4",
  ) {
    const specs = () => this.store.list(qualifiedResource(SERVICES)).map((svc) => (isJsonObject(svc.spec) ? svc.spec : {}));
    this.services = new ServiceAllocator(serviceFamily, specs);
    this.serviceIps = this.services.ips;
  }

  get resourceVersion(): number {
    return this.store.resourceVersion;
  }

  get(rt: ResourceType, namespace: string | undefined, name: string): K8sObject {
    const obj = this.store.get(qualifiedResource(rt), namespace, name);
    if (!obj) throw notFound(rt, name);
    return obj;
  }

  find(rt: ResourceType, namespace: string | undefined, name: string): K8sObject | undefined {
    return this.store.get(qualifiedResource(rt), namespace, name);
  }

  list(rt: ResourceType, namespace: string | undefined, selection: Selection = {}): K8sObject[] {
    return this.store.list(qualifiedResource(rt), namespace).filter((obj) => matches(rt, obj, selection));
  }

  create(rt: ResourceType, namespace: string | undefined, body: unknown, options: WriteOptions = {}): K8sObject {
    const obj = decodeBody(rt, namespace, body);
    const strategy = strategyFor(rt);
    const meta = obj.metadata;
    if (!meta.name && typeof meta.generateName === "string" && meta.generateName !== "") {
      meta.name = generateName(meta.generateName, (name) => this.find(rt, meta.namespace, name) !== undefined);
    }
    for (const systemField of ["uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink", "managedFields"]) {
      delete meta[systemField];
    }
    strategy.normalize(obj);
    if (rt.namespaced) admitIntoNamespace(rt, obj, (ns) => this.find(NAMESPACES, undefined, ns));
    for (const admit of this.admissionPlugins) admit(rt, obj, this);
    strategy.prepareForCreate(obj, this.services.writeContext());
    throwIfInvalid(rt, obj, [...objectMetaErrors(obj, strategy.nameRule), ...strategy.validate(obj)]);
    const name = meta.name ?? "";
    if (this.find(rt, meta.namespace, name)) throw alreadyExists(rt, name);
    meta.uid ??= randomUUID();
    meta.creationTimestamp = formatTime(new Date());
    if (options.dryRun) return obj;
    return this.store.create(qualifiedResource(rt), obj);
  }

  /** PUT: replaces the object (or, with `subresource: "status"`, its status). */
  update(rt: ResourceType, namespace: string | undefined, name: string, body: unknown, options: WriteOptions = {}): K8sObject {
    const existing = this.find(rt, namespace, name);
    if (!existing) {
      if (!rt.allowCreateOnUpdate || options.subresource) throw notFound(rt, name);
      const bodyName = isJsonObject(body) && isJsonObject(body.metadata) ? body.metadata.name : undefined;
      if (bodyName !== name) throw nameMismatch(bodyName, name);
      return this.create(rt, namespace, body, options);
    }
    const candidate = decodeBody(rt, namespace, body);
    if (candidate.metadata.name !== name) throw nameMismatch(candidate.metadata.name, name);
    // A UID in a PUT body is a precondition (rest.defaultUpdatedObjectInfo.Preconditions).
    const uid = candidate.metadata.uid;
    if (uid && uid !== existing.metadata.uid) throw uidPreconditionFailed(rt, namespace, name, uid, existing.metadata.uid);
    return commitUpdate(this.store, rt, existing, candidate, options);
  }

  patch(rt: ResourceType, namespace: string | undefined, name: string, type: PatchType, patch: unknown, options: WriteOptions = {}): K8sObject {
    const existing = this.get(rt, namespace, name);
    const patched = applyPatch(rt.kind, type, cloneObject(existing) as JsonObject, patch) as K8sObject;
    if (!isJsonObject(patched.metadata)) throw badRequest("the patched object has no metadata");
    if (patched.metadata.name !== name) throw nameMismatch(patched.metadata.name, name);
    if (rt.namespaced && patched.metadata.namespace !== namespace) throw namespaceMismatch();
    return commitUpdate(this.store, rt, existing, patched, options);
  }

  /** DELETE: see deletion.ts; a namespace turns Terminating (namespace-lifecycle.ts). */
  delete(rt: ResourceType, namespace: string | undefined, name: string, options: DeleteOptions = {}): DeleteResult {
    const existing = this.get(rt, namespace, name);
    checkDeleteOptions(rt, existing, options);
    if (rt === NAMESPACES) return beginNamespaceDeletion(this.store, existing, options);
    return deleteObject(this.store, rt, existing, options);
  }

  /** pods/binding: assigns an unscheduled pod to a node and marks it PodScheduled, as the binding REST does. */
  bind(namespace: string, name: string, nodeName: string, options: WriteOptions = {}): K8sObject {
    const pod = this.get(PODS, namespace, name);
    const spec = isJsonObject(pod.spec) ? pod.spec : {};
    if (pod.metadata.deletionTimestamp) throw conflict(PODS, name, "pod is being deleted, cannot be assigned to a host");
    if (spec.nodeName) throw conflict(PODS, name, `pod ${name} is already assigned to node "${String(spec.nodeName)}"`);
    const next = cloneObject(pod);
    (next.spec as JsonObject).nodeName = nodeName;
    setPodCondition(next, { type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: formatTime(new Date()) });
    if (options.dryRun) return next;
    return this.store.update(qualifiedResource(PODS), next);
  }

  /** The namespace controller's last step: a Terminating namespace with nothing left in it goes. */
  removeTerminatedNamespace(name: string): K8sObject {
    const ns = this.get(NAMESPACES, undefined, name);
    if (!ns.metadata.deletionTimestamp) throw conflict(NAMESPACES, name, "the namespace is not terminating");
    return this.store.remove(qualifiedResource(NAMESPACES), ns);
  }
}
