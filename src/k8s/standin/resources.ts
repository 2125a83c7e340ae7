/**
 * The resource types the K8s stand-in (staging and tests only) serves, with what discovery,
 * routing, field selectors and deletion need to know about each.
 */
import type { K8sObject } from "./k8s-object";
import { WORKLOAD_RESOURCES } from "./workload-resources";

export type Subresource = "status" | "binding" | "scale";

export interface ResourceType {
  /** "" for the core group. */
  group: string;
  version: string;
  /** Plural name, the URL segment. */
  resource: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: readonly string[];
  categories: readonly string[];
  subresources: readonly Subresource[];
  /** Field-selector labels beyond metadata.name / metadata.namespace, with how to read them. */
  fieldLabels: Readonly<Record<string, (obj: K8sObject) => string>>;
  /** PUT of a missing object creates it (leases do; most types answer 404). */
  allowCreateOnUpdate: boolean;
  /** DELETE answers with the object rather than a Success Status. */
  returnDeletedObject: boolean;
}

const VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"] as const;
export const RESOURCE_VERBS: readonly string[] = VERBS;

function field(obj: K8sObject, ...path: string[]): string {
  let cursor: unknown = obj;
  for (const key of path) {
    if (typeof cursor !== "object" || cursor === null) return "";
    cursor = (cursor as Record<string, unknown>)[key];
  }
  if (cursor === undefined || cursor === null) return "";
  return String(cursor);
}

const core = { group: "", version: "v1" } as const;

export const RESOURCES: readonly ResourceType[] = [
  {
    ...core,
    resource: "namespaces",
    singular: "namespace",
    kind: "Namespace",
    namespaced: false,
    shortNames: ["ns"],
    categories: [],
    subresources: ["status"],
    fieldLabels: { "status.phase": (o) => field(o, "status", "phase") },
    allowCreateOnUpdate: false,
    returnDeletedObject: true,
  },
  {
    ...core,
    resource: "pods",
    singular: "pod",
    kind: "Pod",
    namespaced: true,
    shortNames: ["po"],
    categories: ["all"],
    subresources: ["status", "binding"],
    fieldLabels: {
      "spec.nodeName": (o) => field(o, "spec", "nodeName"),
      "spec.restartPolicy": (o) => field(o, "spec", "restartPolicy"),
      "spec.schedulerName": (o) => field(o, "spec", "schedulerName"),
      "spec.serviceAccountName": (o) => field(o, "spec", "serviceAccountName"),
      "spec.hostNetwork": (o) => (field(o, "spec", "hostNetwork") === "true" ? "true" : "false"),
      "status.phase": (o) => field(o, "status", "phase"),
      "status.podIP": (o) => field(o, "status", "podIP"),
      "status.nominatedNodeName": (o) => field(o, "status", "nominatedNodeName"),
    },
    allowCreateOnUpdate: false,
    returnDeletedObject: true,
  },
  {
    ...core,
    resource: "services",
    singular: "service",
    kind: "Service",
    namespaced: true,
    shortNames: ["svc"],
    categories: ["all"],
    subresources: ["status"],
    fieldLabels: {},
    allowCreateOnUpdate: false,
    returnDeletedObject: true,
  },
  {
    ...core,
    resource: "secrets",
    singular: "secret",
    kind: "Secret",
    namespaced: true,
    shortNames: [],
    categories: [],
    subresources: [],
    fieldLabels: { type: (o) => field(o, "type") },
    allowCreateOnUpdate: false,
    returnDeletedObject: false,
  },
  {
    ...core,
    resource: "configmaps",
    singular: "configmap",
    kind: "ConfigMap",
    namespaced: true,
    shortNames: ["cm"],
    categories: [],
    subresources: [],
    fieldLabels: {},
    allowCreateOnUpdate: false,
    returnDeletedObject: false,
  },
  {
    ...core,
    resource: "persistentvolumeclaims",
    singular: "persistentvolumeclaim",
    kind: "PersistentVolumeClaim",
    namespaced: true,
    shortNames: ["pvc"],
    categories: [],
    subresources: ["status"],
    fieldLabels: {},
    allowCreateOnUpdate: false,
    returnDeletedObject: true,
  },
  {
    ...core,
    resource: "nodes",
    singular: "node",
    kind: "Node",
    namespaced: false,
    shortNames: ["no"],
    categories: [],
    subresources: ["status"],
    fieldLabels: { "spec.unschedulable": (o) => (field(o, "spec", "unschedulable") === "true" ? "true" : "false") },
    allowCreateOnUpdate: false,
    returnDeletedObject: true,
  },
  {
    ...core,
    resource: "events",
    singular: "event",
    kind: "Event",
    namespaced: true,
    shortNames: ["ev"],
    categories: [],
    subresources: [],
    fieldLabels: {
      "involvedObject.kind": (o) => field(o, "involvedObject", "kind"),
      "involvedObject.namespace": (o) => field(o, "involvedObject", "namespace"),
      "involvedObject.name": (o) => field(o, "involvedObject", "name"),
      "involvedObject.uid": (o) => field(o, "involvedObject", "uid"),
      "involvedObject.apiVersion": (o) => field(o, "involvedObject", "apiVersion"),
      "involvedObject.resourceVersion": (o) => field(o, "involvedObject", "resourceVersion"),
      "involvedObject.fieldPath": (o) => field(o, "involvedObject", "fieldPath"),
      reason: (o) => field(o, "reason"),
      reportingComponent: (o) => field(o, "reportingComponent"),
      source: (o) => field(o, "source", "component"),
      type: (o) => field(o, "type"),
    },
    allowCreateOnUpdate: true,
    returnDeletedObject: false,
  },
  {
    group: "coordination.k8s.io",
    version: "v1",
    resource: "leases",
    singular: "lease",
    kind: "Lease",
    namespaced: true,
    shortNames: [],
    categories: [],
    subresources: [],
    fieldLabels: {},
    allowCreateOnUpdate: true,
    returnDeletedObject: false,
  },
  ...WORKLOAD_RESOURCES,
];

export function apiVersionOf(rt: ResourceType): string {
  return rt.group ? `${rt.group}/${rt.version}` : rt.version;
}

/** `pods`, `leases.coordination.k8s.io`: how error messages and the store name a resource. */
export function qualifiedResource(rt: ResourceType): string {
  return rt.group ? `${rt.resource}.${rt.group}` : rt.resource;
}

export function findResource(group: string, version: string, resource: string): ResourceType | undefined {
  return RESOURCES.find((rt) => rt.group === group && rt.version === version && rt.resource === resource);
}

export function resourceByKind(kind: string): ResourceType {
  const rt = RESOURCES.find((r) => r.kind === kind);
  if (!rt) throw new Error(`the K8s stand-in serves no kind ${kind}`);
  return rt;
}

/** Every field-selector label the type supports, with how to read it. */
export function fieldsOf(rt: ResourceType, obj: K8sObject): Record<string, string> {
  const fields: Record<string, string> = {
    "metadata.name": obj.metadata.name ?? "",
    "metadata.namespace": obj.metadata.namespace ?? "",
  };
  for (const [label, read] of Object.entries(rt.fieldLabels)) fields[label] = read(obj);
  return fields;
}
