/**
 * The pod Events the relay records as the node's kubelet: from each status-feed entry (what the
 * machine did) and from the pod's own deletion (Killing), in the order they happened.
 */
import type { FeedEntry } from "../../shared/contract";
import type { KubeObject } from "../kube-api";
import type { EventRecorder } from "./event-recorder";
import { goneOccurrence, occurrencesOf, type Occurrence } from "./pod-occurrences";

const byTime = (a: Occurrence, b: Occurrence) => (a.at === "once" ? "" : a.at).localeCompare(b.at === "once" ? "" : b.at);

export class PodEvents {
  constructor(private readonly recorder: EventRecorder) {}

  /** Called for each status-feed entry before the feed's cursor moves past it. */
  async fromFeed(entry: FeedEntry): Promise<void> {
    const pod = { namespace: entry.namespace, name: entry.name, uid: entry.uid };
    const occurrences = entry.gone ? [goneOccurrence()] : occurrencesOf(entry.status).sort(byTime);
    for (const o of occurrences) await this.recorder.record(pod, o);
  }

  /** Called for each pod the informers see: a deletion starting is the kubelet's Killing. */
  async fromPod(pod: KubeObject): Promise<void> {
    const { namespace, name, uid } = pod.metadata;
    const deletion = pod.metadata.deletionTimestamp;
    if (!namespace || !name || !uid || typeof deletion !== "string") return;
    const containers = ((pod.spec as { containers?: Array<{ name?: string }> } | undefined)?.containers ?? []).map((c) => c.name).filter(Boolean);
    for (const c of containers) {
      await this.recorder.record({ namespace, name, uid }, { type: "Normal", reason: "Killing", message: `Stopping container ${c}`, at: deletion, fieldPath: `spec.containers{${c}}` });
    }
  }
}
