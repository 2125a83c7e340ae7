/**
 * The write and read paths of the K8s stand-in (staging and tests only), after the API server's
 * generic registry (staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go):
 * create, get, list, update (PUT), patch, delete with preconditions, graceful deletion and
 * finalizers, and the pods/binding subresource. Every call is synchronous, so writes are serialized.
 */
import { SERVICE_CIDR, ServiceIps, type IpFamily } from "./service-ips";
import { randomUUID } from "node:crypto";
import {
  ApiError,
  OPTIMISTIC_LOCK_MESSAGE,
  alreadyExists,
  badRequest,
  conflict,
  deletePreconditionFailed,
  forbidden,
  invalid,
  invalidValue,
  notFound,
  notSupported,
} from "./api-errors";
import type { FieldError } from "./api-errors";
import type { JsonObject, K8sObject } from "./k8s-object";
import { cloneObject, formatTime, isJsonObject, jsonEqual, objectKey } from "./k8s-object";
import type { PatchType } from "./patch";
import { applyPatch } from "./patch";
import type { ResourceType } from "./resources";
import { apiVersionOf, fieldsOf, qualifiedResource, resourceByKind } from "./resources";
import type { FieldRequirement, LabelRequirement } from "./selectors";
import { matchesFields, matchesLabels } from "./selectors";
import { strategyFor } from "./strategies";
import type { Store } from "./store";
import type { WriteContext } from "./strategy";
import { objectMetaErrors } from "./validation";

export interface WriteOptions {
  dryRun?: boolean;
  /** Writes through a subresource: only `status` is taken from the new object. */
  subresource?: "status";
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: string;
  dryRun?: boolean;
}

export interface Selection {
  labelSelector?: readonly LabelRequirement[];
  fieldSelector?: readonly FieldRequirement[];
}

export interface DeleteResult {
  object: K8sObject;
  /** False while the object waits for its grace period or finalizers. */
  removed: boolean;
}

/** Namespaces the API server refuses to delete. */
const UNDELETABLE_NAMESPACES = new Set(["default", "kube-system", "kube-public"]);
const PROPAGATION_POLICIES = ["Orphan", "Background", "Foreground"] as const;
const GENERATED_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

export const NAMESPACES = resourceByKind("Namespace");
export const PODS = resourceByKind("Pod");
const SERVICES = resourceByKind("Service");

export function matches(rt: ResourceType, obj: K8sObject, selection: Selection): boolean {
  return matchesLabels(selection.labelSelector ?? [], obj.metadata.labels) && matchesFields(selection.fieldSelector ?? [], fieldsOf(rt, obj));
}

function generatedSuffix(): string {
  let suffix = "";
  for (let i = 0; i < 5; i++) suffix += GENERATED_NAME_ALPHABET.charAt(Math.floor(Math.random() * GENERATED_NAME_ALPHABET.length));
  return suffix;
}

/** A UID in a PUT body is a storage precondition; a mismatch comes back as etcd3's invalid-object error. */
function uidPreconditionFailed(rt: ResourceType, namespace: string | undefined, name: string, wanted: string, actual: string | undefined): ApiError {
  const key = `/registry/${qualifiedResource(rt)}/${objectKey(namespace, name)}`;
  return conflict(
    rt,
    name,
    `StorageError: invalid object, Code: 4, Key: ${key}, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: ${wanted}, UID in object meta: ${actual ?? ""}`,
  );
}

/** A built-in mutating admission step, run on create after defaulting and before validation. */
export type AdmissionPlugin = (rt: ResourceType, obj: K8sObject, registry: Registry) => void;

export class Registry {
  private nextNodePort = 30000;
  readonly serviceIps: ServiceIps;

  constructor(
    private readonly store: Store,
    private readonly admissionPlugins: readonly AdmissionPlugin[] = [],
    serviceFamily: IpFamily = "IPv4",
  ) {
    this.serviceIps = new ServiceIps(serviceFamily, () => new Set(this.servicesSpecs().map((spec) => spec.clusterIP)));
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
    const obj = this.decode(rt, namespace, body);
    const strategy = strategyFor(rt);
    const meta = obj.metadata;
    if (!meta.name && typeof meta.generateName === "string" && meta.generateName !== "") {
      do meta.name = meta.generateName + generatedSuffix();
      while (this.find(rt, obj.metadata.namespace, meta.name));
    }
    for (const systemField of ["uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink", "managedFields"]) {
      delete meta[systemField];
    }
    strategy.normalize(obj);
    if (rt.namespaced) this.admitIntoNamespace(rt, obj);
    for (const admit of this.admissionPlugins) admit(rt, obj, this);
    strategy.prepareForCreate(obj, this.writeContext());
    this.validateOrThrow(rt, obj, [...objectMetaErrors(obj, strategy.nameRule), ...strategy.validate(obj)]);
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
      if (bodyName !== name) throw badRequest(`the name of the object (${String(bodyName ?? "")}) does not match the name on the URL (${name})`);
      return this.create(rt, namespace, body, options);
    }
    const candidate = this.decode(rt, namespace, body);
    if (candidate.metadata.name !== name) {
      throw badRequest(`the name of the object (${candidate.metadata.name ?? ""}) does not match the name on the URL (${name})`);
    }
    // A UID in a PUT body is a precondition (rest.defaultUpdatedObjectInfo.Preconditions).
    const uid = candidate.metadata.uid;
    if (uid && uid !== existing.metadata.uid) throw uidPreconditionFailed(rt, namespace, name, uid, existing.metadata.uid);
    return this.commitUpdate(rt, existing, candidate, options);
  }

  patch(rt: ResourceType, namespace: string | undefined, name: string, type: PatchType, patch: unknown, options: WriteOptions = {}): K8sObject {
    const existing = this.get(rt, namespace, name);
    const patched = applyPatch(rt.kind, type, cloneObject(existing) as JsonObject, patch) as K8sObject;
    if (!isJsonObject(patched.metadata)) throw badRequest("the patched object has no metadata");
    if (patched.metadata.name !== name) {
      throw badRequest(`the name of the object (${String(patched.metadata.name ?? "")}) does not match the name on the URL (${name})`);
    }
    if (rt.namespaced && patched.metadata.namespace !== namespace) {
      throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
    }
    return this.commitUpdate(rt, existing, patched, options);
  }

  /**
   * DELETE, as rest.BeforeDelete and Store.Delete decide it. Kinds with graceful deletion (pods) are
   * first written with deletionTimestamp/deletionGracePeriodSeconds (MODIFIED), even with grace 0,
   * and removed (DELETED) only once the grace is 0 and no finalizers remain; a pending deletion only
   * ever gets shorter. Other kinds go at once unless finalizers hold them.
   */
  delete(rt: ResourceType, namespace: string | undefined, name: string, options: DeleteOptions = {}): DeleteResult {
    let existing = this.get(rt, namespace, name);
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
    if (rt === NAMESPACES) return this.beginNamespaceDeletion(existing, options);
    existing = withPropagationFinalizer(rt, existing, propagationPolicy);

    const resource = qualifiedResource(rt);
    const strategy = strategyFor(rt);
    const requested = options.gracePeriodSeconds !== undefined && options.gracePeriodSeconds < 0 ? 1 : options.gracePeriodSeconds;
    const pendingFinalizers = (existing.metadata.finalizers ?? []).length > 0;
    const write = (next: K8sObject): K8sObject => (options.dryRun ? next : this.store.update(resource, next));
    const remove = (last: K8sObject): DeleteResult => ({ object: options.dryRun ? last : this.store.remove(resource, last), removed: true });

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

  private decode(rt: ResourceType, namespace: string | undefined, body: unknown): K8sObject {
    if (!isJsonObject(body)) throw badRequest(`the body of the request is not a ${rt.kind} object`);
    const obj = cloneObject(body) as K8sObject;
    if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersionOf(rt)) {
      throw badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersionOf(rt)})`);
    }
    if (obj.kind !== undefined && obj.kind !== rt.kind) {
      throw badRequest(`the kind in the data (${String(obj.kind)}) does not match the expected kind (${rt.kind})`);
    }
    obj.apiVersion = apiVersionOf(rt);
    obj.kind = rt.kind;
    if (obj.metadata === undefined) obj.metadata = {};
    if (!isJsonObject(obj.metadata)) throw badRequest("metadata must be an object");
    if (rt.namespaced) {
      if (obj.metadata.namespace && obj.metadata.namespace !== namespace) {
        throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
      }
      obj.metadata.namespace = namespace;
    } else {
      delete obj.metadata.namespace;
    }
    return obj;
  }

  /** NamespaceLifecycle admission: the namespace must exist and not be terminating. */
  private admitIntoNamespace(rt: ResourceType, obj: K8sObject): void {
    const namespace = obj.metadata.namespace ?? "";
    const ns = this.find(NAMESPACES, undefined, namespace);
    if (!ns) throw notFound(NAMESPACES, namespace);
    if (ns.metadata.deletionTimestamp) {
      throw forbidden(rt, obj.metadata.name ?? obj.metadata.generateName ?? "", `unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }

  private commitUpdate(rt: ResourceType, existing: K8sObject, candidate: K8sObject, options: WriteOptions): K8sObject {
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
    this.validateOrThrow(rt, next, errors);
    // A write that changes nothing is not a write: same resourceVersion, no watch event.
    if (jsonEqual(next, existing)) return existing;
    if (options.dryRun) return next;
    const resource = qualifiedResource(rt);
    const meta = next.metadata;
    // The last finalizer of an object being deleted with no grace left: the object goes (ShouldDeleteDuringUpdate).
    if (meta.deletionTimestamp && (meta.finalizers ?? []).length === 0 && (meta.deletionGracePeriodSeconds ?? 0) === 0) {
      return this.store.remove(resource, next);
    }
    return this.store.update(resource, next);
  }

  private beginNamespaceDeletion(ns: K8sObject, options: DeleteOptions): DeleteResult {
    const name = ns.metadata.name ?? "";
    if (UNDELETABLE_NAMESPACES.has(name)) throw forbidden(NAMESPACES, name, "this namespace may not be deleted");
    if (ns.metadata.deletionTimestamp) return { object: ns, removed: false };
    const next = cloneObject(ns);
    next.metadata.deletionTimestamp = formatTime(new Date());
    next.metadata.deletionGracePeriodSeconds = 0;
    next.status = { ...(isJsonObject(next.status) ? next.status : {}), phase: "Terminating" };
    if (options.dryRun) return { object: next, removed: false };
    return { object: this.store.update(qualifiedResource(NAMESPACES), next), removed: false };
  }

  private validateOrThrow(rt: ResourceType, obj: K8sObject, errors: FieldError[]): void {
    if (errors.length > 0) throw invalid(rt, obj.metadata.name ?? "", errors);
  }

  private writeContext(): WriteContext {
    return {
      serviceFamily: this.serviceIps.family,
      allocateClusterIP: () => {
        const ip = this.serviceIps.allocate();
        if (!ip) throw new ApiError(500, "InternalError", `the service ClusterIP range ${SERVICE_CIDR[this.serviceIps.family]} is exhausted`);
        return ip;
      },
      allocateNodePort: () => this.allocateNodePort(),
    };
  }

  private servicesSpecs(): JsonObject[] {
    return this.store.list(qualifiedResource(SERVICES)).map((svc) => (isJsonObject(svc.spec) ? svc.spec : {}));
  }

  private allocateNodePort(): number {
    const used = new Set(
      this.servicesSpecs().flatMap((spec) => (Array.isArray(spec.ports) ? spec.ports.filter(isJsonObject).map((p) => p.nodePort) : [])),
    );
    for (;;) {
      const port = this.nextNodePort++;
      if (port > 32_767) throw new ApiError(500, "InternalError", "the NodePort range 30000-32767 is exhausted");
      if (!used.has(port)) return port;
    }
  }
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

/** Adds or replaces a pod condition by type; keeps lastTransitionTime when the status is unchanged. */
export function setPodCondition(pod: K8sObject, condition: JsonObject): void {
  const status = isJsonObject(pod.status) ? pod.status : {};
  const conditions = Array.isArray(status.conditions) ? status.conditions.filter(isJsonObject) : [];
  const index = conditions.findIndex((c) => c.type === condition.type);
  const previous = index === -1 ? undefined : conditions[index];
  const next = previous && previous.status === condition.status ? { ...condition, lastTransitionTime: previous.lastTransitionTime } : condition;
  if (index === -1) conditions.push(next);
  else conditions[index] = next;
  status.conditions = conditions;
  pod.status = status;
}
