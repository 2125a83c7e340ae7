/**
 * How the K8s stand-in's controllers (staging and tests only) create pods: through admission, as a
 * controller's API call goes through kube-apiserver's, with a SuccessfulCreate event, or a
 * FailedCreate Warning carrying the API server's error (a webhook's denial, say) when refused.
 */
import type { AdmittedWrites } from "../admission/admitted-writes";
import { ApiError } from "../api-errors";
import type { K8sObject } from "../k8s-object";
import { PODS } from "../registry";
import { recordEvent } from "./events";

export interface PodEvents {
  created(name: string): string;
  failed(name: string, why: string): string;
}

const REPLICA_EVENTS: PodEvents = {
  created: (name) => `Created pod: ${name}`,
  failed: (_name, why) => `Error creating: ${why}`,
};

/** undefined when the API server refused the pod (the event says why). */
export async function createControlledPod(writes: AdmittedWrites, component: string, owner: K8sObject, body: K8sObject, events: PodEvents = REPLICA_EVENTS): Promise<K8sObject | undefined> {
  const name = body.metadata.name ?? body.metadata.generateName ?? "";
  try {
    const created = await writes.create(PODS, owner.metadata.namespace, body);
    recordEvent(writes.registry, component, owner, "Normal", "SuccessfulCreate", events.created(created.metadata.name ?? ""));
    return created;
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.code !== 409) recordEvent(writes.registry, component, owner, "Warning", "FailedCreate", events.failed(name, err.message));
    return undefined;
  }
}
