/**
 * The virtual Node and its Lease as pure functions of the configuration and the current time
 * (kubernetes-side.md §1.4; virtual-kubelet's defaults).
 */
import { V1MicroTime } from "@kubernetes/client-node";
import type { RelayConfig, Taint } from "./config";
import { DEFAULT_TAINT } from "./config";

/** What `kubectl get nodes` shows as VERSION; a kubelet-style version with a suffix naming us. */
export const KUBELET_VERSION = "v1.34.0-machinelet";
export const LEASE_NAMESPACE = "kube-node-lease";

export type NodeSettings = Pick<RelayConfig, "nodeName" | "nodeTaint" | "kubeletPort" | "nodeCpu" | "nodeMemory" | "nodePods"> & { nodeAddress: string };

export interface Readiness {
  ready: boolean;
  /** Why not ready (shown as the Ready condition's message). */
  message?: string;
  /** When `ready` last changed. */
  since: Date;
  /** When this relay started: the transition time of the conditions that never change. */
  startedAt: Date;
}

/** metav1.Time: RFC 3339 to the second. */
const time = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/** metav1.MicroTime: RFC 3339 with exactly 6 fractional digits, as the API server requires. */
export const microTime = (d: Date) => new V1MicroTime(d.getTime()).toISOString();

export function nodeLabels(nodeName: string): Record<string, string> {
  return {
    type: "virtual-kubelet",
    "kubernetes.io/role": "agent",
    "kubernetes.io/hostname": nodeName,
    "kubernetes.io/os": "linux",
    "kubernetes.io/arch": "amd64",
  };
}

/** Existing taints without ours (by key, including the default provider key), then ours. */
export function mergeTaints(existing: readonly Taint[], ours: Taint | null): Taint[] {
  const managed = new Set([DEFAULT_TAINT.key, ...(ours ? [ours.key] : [])]);
  return [...existing.filter((t) => !managed.has(t.key)), ...(ours ? [ours] : [])];
}

export function nodeStatus(s: NodeSettings, readiness: Readiness, now: Date) {
  const heartbeat = time(now);
  const readySince = time(readiness.since);
  const started = time(readiness.startedAt);
  const resources = { cpu: s.nodeCpu, memory: s.nodeMemory, pods: s.nodePods };
  const fine = (type: string, reason: string, message: string) => ({
    type,
    status: "False",
    reason,
    message,
    lastHeartbeatTime: heartbeat,
    lastTransitionTime: started,
  });
  return {
    capacity: resources,
    allocatable: resources,
    conditions: [
      {
        type: "Ready",
        status: readiness.ready ? "True" : "False",
        reason: readiness.ready ? "KubeletReady" : "WorkerUnreachable",
        message: readiness.ready ? "machinelet relay is posting ready status" : (readiness.message ?? "the machinelet worker is unreachable"),
        lastHeartbeatTime: heartbeat,
        lastTransitionTime: readySince,
      },
      fine("MemoryPressure", "KubeletHasSufficientMemory", "Fly Machines have their own memory"),
      fine("DiskPressure", "KubeletHasNoDiskPressure", "Fly Machines have their own disks"),
      fine("PIDPressure", "KubeletHasSufficientPID", "Fly Machines have their own PIDs"),
      fine("NetworkUnavailable", "RouteCreated", "Fly Machines are reachable over the Fly network"),
    ],
    addresses: [
      { type: "InternalIP", address: s.nodeAddress },
      { type: "Hostname", address: s.nodeName },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: s.kubeletPort } },
    nodeInfo: {
      machineID: "",
      systemUUID: "",
      bootID: "",
      kernelVersion: "",
      osImage: "Fly Machines",
      containerRuntimeVersion: "fly://machines",
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: "",
      operatingSystem: "linux",
      architecture: "amd64",
    },
  };
}

/** The Node as first created: the API server takes status on create only. */
export function newNode(s: NodeSettings, readiness: Readiness, now: Date) {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: s.nodeName, labels: nodeLabels(s.nodeName) },
    spec: { taints: mergeTaints([], s.nodeTaint) },
    status: nodeStatus(s, readiness, now),
  };
}

export interface LeaseObject {
  apiVersion: "coordination.k8s.io/v1";
  kind: "Lease";
  metadata: {
    name: string;
    namespace: string;
    resourceVersion?: string;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string }[];
    [key: string]: unknown;
  };
  spec: { holderIdentity: string; leaseDurationSeconds: number; renewTime: string; acquireTime?: string; [key: string]: unknown };
}

/** The Lease renewed now: `existing` keeps its resourceVersion (optimistic update) and other fields. */
export function renewedLease(nodeName: string, nodeUid: string, durationSeconds: number, now: Date, existing?: LeaseObject): LeaseObject {
  return {
    ...existing,
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: {
      ...existing?.metadata,
      name: nodeName,
      namespace: LEASE_NAMESPACE,
      ownerReferences: [{ apiVersion: "v1", kind: "Node", name: nodeName, uid: nodeUid }],
    },
    spec: {
      ...existing?.spec,
      holderIdentity: nodeName,
      leaseDurationSeconds: durationSeconds,
      acquireTime: existing?.spec.acquireTime ?? microTime(now),
      renewTime: microTime(now),
    },
  };
}
