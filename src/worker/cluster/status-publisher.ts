import { podStatusOf } from "./pod-status";
import type { ClusterState, PodRecord } from "./state";

/**
 * Publishes pod status: recomputes it from the pod's row after every recorded change and, when
 * it differs from the status last published, stores it and appends it to the feed. Also ends a
 * pod whose machine is confirmed gone (`gone` in the feed, tombstone).
 */
export class StatusPublisher {
  constructor(
    private readonly state: Pick<ClusterState, "pods" | "work" | "feed">,
    private readonly now: () => number,
  ) {}

  /** `rec` is the row as just written (a transition's return); undefined when the pod is gone. */
  refresh(rec: PodRecord | undefined): void {
    if (!rec) return;
    const now = this.now();
    const status = podStatusOf(rec, new Date(now));
    const json = JSON.stringify(status);
    if (json === rec.statusJson) return;
    this.state.pods.publishStatus(rec.uid, json, status.phase ?? null, now);
    this.state.feed.append({ uid: rec.uid, namespace: rec.namespace, name: rec.name, statusJson: json, gone: false }, now);
  }

  /** The machine is confirmed gone and the pod is to be forgotten: feed `gone`, tombstone, no more work. */
  finish(uid: string): void {
    const rec = this.state.pods.get(uid);
    if (!rec) return;
    const now = this.now();
    this.state.feed.append({ uid, namespace: rec.namespace, name: rec.name, statusJson: rec.statusJson ?? "{}", gone: true }, now);
    this.state.pods.bury(uid, now);
    this.state.work.forget(uid);
  }
}
