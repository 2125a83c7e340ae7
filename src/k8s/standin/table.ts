/**
 * Server-side printing (meta.k8s.io/v1 Table) for the K8s stand-in (staging and tests only):
 * `kubectl get` asks for `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` and prints the
 * columns the server chooses. Columns follow pkg/printers/internalversion for the kinds served.
 */
import type { JsonObject, K8sObject } from "./k8s-object";
import { isJsonObject } from "./k8s-object";
import type { ResourceType } from "./resources";
import type { Column } from "./table-columns";
import { AGE, NAME, humanDuration } from "./table-columns";
import { WORKLOAD_COLUMNS } from "./workload-table";

export type IncludeObject = "None" | "Metadata" | "Object";

const objectSection = (obj: K8sObject, key: string): JsonObject => (isJsonObject(obj[key]) ? (obj[key] as JsonObject) : {});
const list = (value: unknown): JsonObject[] => (Array.isArray(value) ? value.filter(isJsonObject) : []);

function podStatusText(pod: K8sObject): string {
  const status = objectSection(pod, "status");
  let reason = String(status.reason ?? status.phase ?? "");
  for (const cs of list(status.containerStatuses)) {
    const state = isJsonObject(cs.state) ? cs.state : {};
    if (isJsonObject(state.waiting) && state.waiting.reason) reason = String(state.waiting.reason);
    else if (isJsonObject(state.terminated) && state.terminated.reason) reason = String(state.terminated.reason);
  }
  if (pod.metadata.deletionTimestamp) reason = "Terminating";
  return reason;
}

const POD_COLUMNS: Column[] = [
  NAME,
  {
    name: "Ready",
    type: "string",
    description: "The aggregate readiness state of this pod for accepting traffic.",
    priority: 0,
    cell: (pod) => {
      const spec = objectSection(pod, "spec");
      const ready = list(objectSection(pod, "status").containerStatuses).filter((cs) => cs.ready === true).length;
      return `${ready}/${list(spec.containers).length}`;
    },
  },
  { name: "Status", type: "string", description: "The aggregate status of the containers in this pod.", priority: 0, cell: podStatusText },
  {
    name: "Restarts",
    type: "string",
    description: "The number of times the containers in this pod have been restarted.",
    priority: 0,
    cell: (pod) => String(list(objectSection(pod, "status").containerStatuses).reduce((sum, cs) => sum + (typeof cs.restartCount === "number" ? cs.restartCount : 0), 0)),
  },
  AGE,
  { name: "IP", type: "string", description: "IP address allocated to the pod.", priority: 1, cell: (pod) => String(objectSection(pod, "status").podIP ?? "<none>") },
  { name: "Node", type: "string", description: "Name of the node the pod is assigned to.", priority: 1, cell: (pod) => String(objectSection(pod, "spec").nodeName ?? "<none>") },
];

const NODE_COLUMNS: Column[] = [
  NAME,
  {
    name: "Status",
    type: "string",
    description: "The status of the node",
    priority: 0,
    cell: (node) => {
      const ready = list(objectSection(node, "status").conditions).find((c) => c.type === "Ready");
      const text = ready?.status === "True" ? "Ready" : ready ? "NotReady" : "Unknown";
      return objectSection(node, "spec").unschedulable === true ? `${text},SchedulingDisabled` : text;
    },
  },
  {
    name: "Roles",
    type: "string",
    description: "The roles of the node",
    priority: 0,
    cell: (node) => {
      const labels = node.metadata.labels ?? {};
      const roles = Object.keys(labels)
        .filter((key) => key.startsWith("node-role.kubernetes.io/"))
        .map((key) => key.slice("node-role.kubernetes.io/".length));
      if (labels["kubernetes.io/role"]) roles.push(labels["kubernetes.io/role"]);
      return roles.length > 0 ? roles.sort().join(",") : "<none>";
    },
  },
  AGE,
  {
    name: "Version",
    type: "string",
    description: "Kubelet Version reported by the node.",
    priority: 0,
    cell: (node) => String((isJsonObject(objectSection(node, "status").nodeInfo) ? (objectSection(node, "status").nodeInfo as JsonObject) : {}).kubeletVersion ?? ""),
  },
  {
    name: "Internal-IP",
    type: "string",
    description: "List of internal IPs associated with the node.",
    priority: 1,
    cell: (node) => String(list(objectSection(node, "status").addresses).find((a) => a.type === "InternalIP")?.address ?? "<none>"),
  },
];

const NAMESPACE_COLUMNS: Column[] = [
  NAME,
  { name: "Status", type: "string", description: "The status of the namespace", priority: 0, cell: (ns) => String(objectSection(ns, "status").phase ?? "") },
  AGE,
];

const SERVICE_COLUMNS: Column[] = [
  NAME,
  { name: "Type", type: "string", description: "The type of the service.", priority: 0, cell: (svc) => String(objectSection(svc, "spec").type ?? "") },
  { name: "Cluster-IP", type: "string", description: "The cluster IP of the service.", priority: 0, cell: (svc) => String(objectSection(svc, "spec").clusterIP ?? "<none>") },
  { name: "External-IP", type: "string", description: "The external IP of the service.", priority: 0, cell: () => "<none>" },
  {
    name: "Port(s)",
    type: "string",
    description: "The ports of the service.",
    priority: 0,
    cell: (svc) => {
      const ports = list(objectSection(svc, "spec").ports).map((p) => `${String(p.port)}${p.nodePort ? `:${String(p.nodePort)}` : ""}/${String(p.protocol ?? "TCP")}`);
      return ports.length > 0 ? ports.join(",") : "<none>";
    },
  },
  AGE,
];

const ACCESS_MODE_SHORT: Record<string, string> = { ReadWriteOnce: "RWO", ReadOnlyMany: "ROX", ReadWriteMany: "RWX", ReadWriteOncePod: "RWOP" };
/** printPersistentVolumeClaim: capacity and access modes show once the claim names its volume. */
const bound = (pvc: K8sObject): boolean => Boolean(objectSection(pvc, "spec").volumeName);
const PVC_COLUMNS: Column[] = [
  NAME,
  { name: "Status", type: "string", description: "phase represents the current phase of PersistentVolumeClaim.", priority: 0, cell: (pvc) => (pvc.metadata.deletionTimestamp ? "Terminating" : String(objectSection(pvc, "status").phase ?? "")) },
  { name: "Volume", type: "string", description: "volumeName is the binding reference to the PersistentVolume backing this claim.", priority: 0, cell: (pvc) => String(objectSection(pvc, "spec").volumeName ?? "") },
  {
    name: "Capacity",
    type: "string",
    description: "capacity represents the actual resources of the underlying volume.",
    priority: 0,
    cell: (pvc) => {
      const capacity = objectSection(pvc, "status").capacity;
      return bound(pvc) && isJsonObject(capacity) ? String(capacity.storage ?? "") : "";
    },
  },
  {
    name: "Access Modes",
    type: "string",
    description: "accessModes contains the actual access modes the volume backing the PVC has.",
    priority: 0,
    cell: (pvc) => {
      const modes = objectSection(pvc, "status").accessModes;
      return bound(pvc) && Array.isArray(modes) ? modes.map((m) => ACCESS_MODE_SHORT[String(m)] ?? String(m)).join(",") : "";
    },
  },
  {
    name: "StorageClass",
    type: "string",
    description: "storageClassName is the name of the StorageClass required by the claim.",
    priority: 0,
    cell: (pvc) => String(pvc.metadata.annotations?.["volume.beta.kubernetes.io/storage-class"] ?? objectSection(pvc, "spec").storageClassName ?? ""),
  },
  { name: "VolumeAttributesClass", type: "string", description: "volumeAttributesClassName may be used to set the VolumeAttributesClass used by this claim.", priority: 0, cell: (pvc) => String(objectSection(pvc, "spec").volumeAttributesClassName ?? "<unset>") },
  AGE,
  { name: "VolumeMode", type: "string", description: "volumeMode defines what type of volume is required by the claim.", priority: 1, cell: (pvc) => String(objectSection(pvc, "spec").volumeMode ?? "<unset>") },
];

const EVENT_COLUMNS: Column[] = [
  {
    name: "Last Seen",
    type: "string",
    description: "Time when last this event was seen.",
    priority: 0,
    cell: (ev, now) => {
      const at = String(ev.lastTimestamp ?? ev.eventTime ?? ev.metadata.creationTimestamp ?? "");
      return at ? humanDuration(now.getTime() - Date.parse(at)) : "<unknown>";
    },
  },
  { name: "Type", type: "string", description: "Type of this event (Normal, Warning).", priority: 0, cell: (ev) => String(ev.type ?? "") },
  { name: "Reason", type: "string", description: "Why the action was taken.", priority: 0, cell: (ev) => String(ev.reason ?? "") },
  {
    name: "Object",
    type: "string",
    description: "The object this event is about.",
    priority: 0,
    cell: (ev) => {
      const involved = objectSection(ev, "involvedObject");
      return `${String(involved.kind ?? "").toLowerCase()}/${String(involved.name ?? "")}`;
    },
  },
  { name: "Message", type: "string", description: "A description of the status of this operation.", priority: 0, cell: (ev) => String(ev.message ?? "") },
];

const COLUMNS: Readonly<Record<string, Column[]>> = {
  Pod: POD_COLUMNS,
  Node: NODE_COLUMNS,
  Namespace: NAMESPACE_COLUMNS,
  Service: SERVICE_COLUMNS,
  PersistentVolumeClaim: PVC_COLUMNS,
  Event: EVENT_COLUMNS,
  ...WORKLOAD_COLUMNS,
};

export function wantsTable(accept: string | undefined): boolean {
  return (accept ?? "").split(",").some((part) => /;\s*as=Table/.test(part) && /;\s*g=meta\.k8s\.io/.test(part));
}

function rowObject(obj: K8sObject, include: IncludeObject): unknown {
  if (include === "None") return undefined;
  if (include === "Object") return obj;
  return { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: obj.metadata };
}

export function toTable(rt: ResourceType, objects: readonly K8sObject[], resourceVersion: string, include: IncludeObject, now = new Date()): unknown {
  const columns = COLUMNS[rt.kind] ?? [NAME, AGE];
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: { resourceVersion },
    columnDefinitions: columns.map(({ cell: _cell, ...definition }) => ({ format: "", ...definition })),
    rows: objects.map((obj) => {
      const object = rowObject(obj, include);
      return { cells: columns.map((c) => c.cell(obj, now)), ...(object === undefined ? {} : { object }) };
    }),
  };
}
