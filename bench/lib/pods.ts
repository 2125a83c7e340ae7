/** Minimal pods and their watch events: what the relay would forward, small enough for 10,000 in one snapshot. */
import { randomUUID } from "node:crypto";
import type { WatchEvent } from "./cluster";

export interface BenchPod {
  apiVersion: "v1";
  kind: "Pod";
  metadata: { name: string; namespace: string; uid: string; resourceVersion: string };
  spec: { containers: Array<{ name: string; image: string }> };
}

export function benchPod(name: string, resourceVersion = "1"): BenchPod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default", uid: randomUUID(), resourceVersion },
    spec: { containers: [{ name: "app", image: "nginx:1.27" }] },
  };
}

export const benchPods = (count: number, prefix = "p") => Array.from({ length: count }, (_, i) => benchPod(`${prefix}-${i}`));

export const added = (pod: BenchPod): WatchEvent => ({ type: "ADDED", object: pod });

/** The watch's final event for a pod; K8s sends it with a newer resourceVersion. */
export const deleted = (pod: BenchPod): WatchEvent => ({
  type: "DELETED",
  object: { ...pod, metadata: { ...pod.metadata, resourceVersion: String(Number(pod.metadata.resourceVersion) + 1) } },
});

/** Splits `items` into batches of at most `size` (the contract allows 500 events per POST). */
export function batches<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
