/**
 * The K8s stand-in's scheduler (staging and tests only): binds every new pod that names no node and
 * uses the default scheduler to the one virtual node, through the same path as pods/binding
 * (spec.nodeName + PodScheduled=True). While that Node object does not exist, pods wait with
 * PodScheduled=False/Unschedulable, as they would in a cluster without nodes, and are bound once it
 * appears. Taints and resources are not considered: the virtual node is the only node.
 */
import { ApiError } from "./api-errors";
import type { K8sObject } from "./k8s-object";
import { formatTime, isJsonObject } from "./k8s-object";
import type { Registry } from "./registry";
import { PODS, setPodCondition } from "./registry";
import { qualifiedResource, resourceByKind } from "./resources";
import type { Change, Store } from "./store";

export const DEFAULT_SCHEDULER_NAME = "default-scheduler";
const NODES = resourceByKind("Node");

export interface SchedulerOptions {
  nodeName: string;
  schedulerName?: string;
}

function needsScheduling(pod: K8sObject, schedulerName: string): boolean {
  const spec = isJsonObject(pod.spec) ? pod.spec : {};
  return !spec.nodeName && (spec.schedulerName ?? DEFAULT_SCHEDULER_NAME) === schedulerName && !pod.metadata.deletionTimestamp;
}

function isUnschedulable(pod: K8sObject): boolean {
  const status = isJsonObject(pod.status) ? pod.status : {};
  const conditions = Array.isArray(status.conditions) ? status.conditions : [];
  return conditions.some((c) => isJsonObject(c) && c.type === "PodScheduled" && c.status === "False");
}

/** Starts scheduling; returns the function that stops it. */
export function startScheduler(store: Store, registry: Registry, options: SchedulerOptions): () => void {
  const schedulerName = options.schedulerName ?? DEFAULT_SCHEDULER_NAME;
  let stopped = false;
  let queued = false;

  // One pass over every pending pod, run outside the store's change delivery, like a real
  // scheduler acting on its informer cache after the fact.
  const schedulePending = (): void => {
    queued = false;
    if (stopped) return;
    const nodeExists = registry.find(NODES, undefined, options.nodeName) !== undefined;
    for (const pod of registry.list(PODS, undefined)) {
      if (!needsScheduling(pod, schedulerName)) continue;
      const namespace = pod.metadata.namespace ?? "";
      const name = pod.metadata.name ?? "";
      try {
        if (nodeExists) registry.bind(namespace, name, options.nodeName);
        else if (!isUnschedulable(pod)) markUnschedulable(registry, pod);
      } catch (err) {
        // The pod changed or went away between the list and the write: the next pass sees it anew.
        if (!(err instanceof ApiError)) throw err;
      }
    }
  };
  const queue = (): void => {
    if (queued || stopped) return;
    queued = true;
    setImmediate(schedulePending);
  };
  const onPod = (change: Change): void => {
    if (change.type !== "DELETED" && needsScheduling(change.object, schedulerName)) queue();
  };
  const onNode = (change: Change): void => {
    if (change.type === "ADDED" && change.object.metadata.name === options.nodeName) queue();
  };
  const unsubscribers = [
    store.watch(qualifiedResource(PODS), store.resourceVersion, onPod),
    store.watch(qualifiedResource(NODES), store.resourceVersion, onNode),
  ];
  queue();
  return () => {
    stopped = true;
    for (const unsubscribe of unsubscribers) unsubscribe();
  };
}

function markUnschedulable(registry: Registry, pod: K8sObject): void {
  const next = structuredClone(pod);
  setPodCondition(next, {
    type: "PodScheduled",
    status: "False",
    reason: "Unschedulable",
    message: "no nodes available to schedule pods",
    lastProbeTime: null,
    lastTransitionTime: formatTime(new Date()),
  });
  registry.update(PODS, pod.metadata.namespace, pod.metadata.name ?? "", next, { subresource: "status" });
}
