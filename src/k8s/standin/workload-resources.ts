/**
 * Resource types of the K8s stand-in (staging and tests only) beyond the core ones the relay uses:
 * the workload kinds (apps/v1, batch/v1), what serves Services (core/v1 Endpoints,
 * discovery.k8s.io/v1 EndpointSlices) and admission webhook registrations, as discovery lists them.
 */
import type { K8sObject } from "./k8s-object";
import type { ResourceType } from "./resources";

function read(obj: K8sObject, ...path: string[]): string {
  let cursor: unknown = obj;
  for (const key of path) cursor = typeof cursor === "object" && cursor !== null ? (cursor as Record<string, unknown>)[key] : undefined;
  return cursor === undefined || cursor === null ? "" : String(cursor);
}

type Definition = Pick<ResourceType, "group" | "version" | "resource" | "kind"> & Partial<ResourceType>;

function define(d: Definition): ResourceType {
  return {
    singular: d.kind.toLowerCase(),
    namespaced: true,
    shortNames: [],
    categories: [],
    subresources: [],
    fieldLabels: {},
    allowCreateOnUpdate: false,
    returnDeletedObject: false,
    ...d,
  };
}

const apps = { group: "apps", version: "v1", categories: ["all"], subresources: ["status", "scale"] } as const;
const batch = { group: "batch", version: "v1", categories: ["all"], subresources: ["status"] } as const;
const admission = { group: "admissionregistration.k8s.io", version: "v1", namespaced: false, categories: ["api-extensions"] } as const;

export const WORKLOAD_RESOURCES: readonly ResourceType[] = [
  define({ ...apps, resource: "deployments", kind: "Deployment", shortNames: ["deploy"] }),
  define({ ...apps, resource: "replicasets", kind: "ReplicaSet", shortNames: ["rs"], fieldLabels: { "status.replicas": (o) => read(o, "status", "replicas") || "0" } }),
  define({ ...apps, resource: "statefulsets", kind: "StatefulSet", shortNames: ["sts"] }),
  define({ ...batch, resource: "jobs", kind: "Job", fieldLabels: { "status.successful": (o) => read(o, "status", "succeeded") || "0" } }),
  define({ group: "", version: "v1", resource: "endpoints", singular: "endpoints", kind: "Endpoints", shortNames: ["ep"] }),
  define({ group: "discovery.k8s.io", version: "v1", resource: "endpointslices", kind: "EndpointSlice" }),
  define({ ...admission, resource: "validatingwebhookconfigurations", kind: "ValidatingWebhookConfiguration" }),
  define({ ...admission, resource: "mutatingwebhookconfigurations", kind: "MutatingWebhookConfiguration" }),
];
