/**
 * core/v1 Events written by the K8s stand-in's scheduler and controllers (staging and tests only),
 * with the shape client-go's event recorder gives them: `<object>.<unique suffix>` names,
 * `source.component`, and repeats of one reason and message folded into `count` and
 * `lastTimestamp`, as the event correlator does.
 */
import { randomBytes } from "node:crypto";
import type { K8sObject } from "../k8s-object";
import { cloneObject, formatTime } from "../k8s-object";
import type { Registry } from "../registry";
import { resourceByKind } from "../resources";
import { bestEffort } from "./loop";

const EVENTS = resourceByKind("Event");

export type EventType = "Normal" | "Warning";

export function recordEvent(registry: Registry, component: string, about: K8sObject, type: EventType, reason: string, message: string): void {
  const namespace = about.metadata.namespace ?? "default";
  const uid = about.metadata.uid ?? "";
  const now = new Date();
  const same = registry
    .list(EVENTS, namespace)
    .find((e) => (e.involvedObject as { uid?: string } | undefined)?.uid === uid && e.reason === reason && e.message === message && (e.source as { component?: string } | undefined)?.component === component);
  if (same) {
    const next = cloneObject(same);
    next.count = (typeof same.count === "number" ? same.count : 1) + 1;
    next.lastTimestamp = formatTime(now);
    bestEffort(() => registry.update(EVENTS, namespace, same.metadata.name ?? "", next));
    return;
  }
  bestEffort(() =>
    registry.create(EVENTS, namespace, {
      metadata: { name: `${about.metadata.name ?? ""}.${randomBytes(8).toString("hex")}`, namespace },
      involvedObject: {
        kind: about.kind,
        namespace: about.metadata.namespace,
        name: about.metadata.name,
        uid,
        apiVersion: about.apiVersion,
        resourceVersion: about.metadata.resourceVersion,
      },
      reason,
      message,
      type,
      source: { component },
      firstTimestamp: formatTime(now),
      lastTimestamp: formatTime(now),
      count: 1,
      reportingComponent: component,
      reportingInstance: component,
    }),
  );
}
