import type { Pod } from "./pod";
import type { Service } from "./service";

/** The Fly address the worker gave a Service (the relay writes it; contract). */
export const SERVICE_ADDRESS_ANNOTATION = "machinelet.fly.io/address";

/** True when every key of an equality-based selector (a Service's `spec.selector`) matches the labels. */
export function selectorMatches(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/**
 * The pods a Service's selector picks, as the EndpointSlice controller does: same namespace, a
 * non-empty selector, and the pod not finished (Succeeded or Failed). A Service without a
 * selector has no automatic endpoints.
 */
export function selectedPods<P extends Pick<Pod, "metadata" | "status">>(service: Service, pods: Iterable<P>): P[] {
  const selector = service.spec?.selector;
  if (!selector || Object.keys(selector).length === 0) return [];
  const out: P[] = [];
  for (const pod of pods) {
    if (pod.metadata.namespace !== service.metadata.namespace || !selectorMatches(selector, pod.metadata.labels)) continue;
    if (pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") continue;
    out.push(pod);
  }
  return out;
}

/** Ready as endpoints count it: the Ready condition is True and the pod is not being deleted. */
export function podIsReady(pod: Pick<Pod, "metadata" | "status">): boolean {
  if (pod.metadata.deletionTimestamp) return false;
  return pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

/** `clusterIP: None`: no address of its own; DNS answers with the pods. */
export const isHeadless = (service: Service): boolean => service.spec?.clusterIP === "None";
