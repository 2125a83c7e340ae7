/**
 * Strategic-merge-patch metadata: which lists merge, and by which key. The K8s stand-in applies
 * patches with it; the relay computes its pod status patches with it, as the kubelet does with the
 * Go types' tags. Taken from the `x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key`
 * tags of the Kubernetes 1.36 OpenAPI for the kinds the stand-in serves. Lists not named here are
 * replaced whole, as the real API server does (e.g. pod `status.containerStatuses`, `spec.tolerations`).
 */

export type MergeRule =
  /** A list of objects merged element by element on `key`. */
  | { kind: "objects"; key: string }
  /** A list of scalars merged as a set. */
  | { kind: "scalars" };

const CONTAINER: Record<string, MergeRule> = {
  env: { kind: "objects", key: "name" },
  ports: { kind: "objects", key: "containerPort" },
  volumeMounts: { kind: "objects", key: "mountPath" },
  volumeDevices: { kind: "objects", key: "devicePath" },
};

function nested(prefix: string, rules: Record<string, MergeRule>): Record<string, MergeRule> {
  return Object.fromEntries(Object.entries(rules).map(([path, rule]) => [`${prefix}.${path}`, rule]));
}

const METADATA: Record<string, MergeRule> = {
  "metadata.finalizers": { kind: "scalars" },
  "metadata.ownerReferences": { kind: "objects", key: "uid" },
};

const CONDITIONS_BY_TYPE: MergeRule = { kind: "objects", key: "type" };

/** PodSpec's tagged lists, under `spec.` in a Pod and under a template's `spec.` in a workload. */
const POD_SPEC: Record<string, MergeRule> = {
  containers: { kind: "objects", key: "name" },
  initContainers: { kind: "objects", key: "name" },
  ephemeralContainers: { kind: "objects", key: "name" },
  ...nested("containers", CONTAINER),
  ...nested("initContainers", CONTAINER),
  ...nested("ephemeralContainers", CONTAINER),
  volumes: { kind: "objects", key: "name" },
  imagePullSecrets: { kind: "objects", key: "name" },
  hostAliases: { kind: "objects", key: "ip" },
  resourceClaims: { kind: "objects", key: "name" },
  schedulingGates: { kind: "objects", key: "name" },
  topologySpreadConstraints: { kind: "objects", key: "topologyKey" },
};

/** A workload whose `spec.template` is a PodTemplateSpec (`kubectl patch deployment ... containers` merges by name). */
const WORKLOAD: Record<string, MergeRule> = { ...nested("spec.template.spec", POD_SPEC), "status.conditions": CONDITIONS_BY_TYPE };

/** Dotted paths (list indices left out) per kind. */
const RULES: Record<string, Record<string, MergeRule>> = {
  Deployment: WORKLOAD,
  ReplicaSet: WORKLOAD,
  StatefulSet: WORKLOAD,
  Job: WORKLOAD,
  Pod: {
    ...nested("spec", POD_SPEC),
    "status.conditions": CONDITIONS_BY_TYPE,
    "status.podIPs": { kind: "objects", key: "ip" },
    "status.hostIPs": { kind: "objects", key: "ip" },
    "status.resourceClaimStatuses": { kind: "objects", key: "name" },
  },
  Node: {
    "spec.podCIDRs": { kind: "scalars" },
    "status.conditions": CONDITIONS_BY_TYPE,
    "status.addresses": { kind: "objects", key: "type" },
  },
  Namespace: { "status.conditions": CONDITIONS_BY_TYPE },
  Service: {
    "spec.ports": { kind: "objects", key: "port" },
    "status.conditions": CONDITIONS_BY_TYPE,
  },
  PersistentVolumeClaim: { "status.conditions": CONDITIONS_BY_TYPE },
};

export function mergeRuleFor(kind: string, path: readonly string[]): MergeRule | undefined {
  const dotted = path.join(".");
  return METADATA[dotted] ?? RULES[kind]?.[dotted];
}
