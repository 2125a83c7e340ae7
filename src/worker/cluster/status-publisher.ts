import { podStatusOf } from "./pod-status";
import type { ClusterState, PodRecord, StatusToStore } from "./state";

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
    const status = rec && this.statusOf(rec);
    if (!rec || !status) return;
    const now = this.now();
    this.state.pods.publishStatus(rec.uid, status.json, status.phase, now);
    this.state.feed.append({ uid: rec.uid, namespace: rec.namespace, name: rec.name, statusJson: status.json, gone: false }, now);
  }

  /** Shows readers of the feed, before any write, the status `rec` (a record about to be written a turn later) implies, if it changed. */
  showEarly(rec: PodRecord): void {
    const status = this.statusOf(rec);
    if (status) this.state.feed.showEarly({ uid: rec.uid, namespace: rec.namespace, name: rec.name, statusJson: status.json, gone: false });
  }

  /** The status `rec` implies, when it differs from the one it holds (a transition may store it with its own write). */
  statusOf(rec: PodRecord): StatusToStore | undefined {
    const status = podStatusOf(rec, new Date(this.now()));
    const json = JSON.stringify(status);
    return json === rec.statusJson ? undefined : { json, phase: status.phase ?? null };
  }

  /** Appends the status `rec` holds to the feed (after a transition stored it). */
  announce(rec: PodRecord): void {
    if (rec.statusJson === null) return;
    this.state.feed.append({ uid: rec.uid, namespace: rec.namespace, name: rec.name, statusJson: rec.statusJson, gone: false }, this.now());
  }

  /** `announce` for each of `recs`, in one write of the feed. */
  announceAll(recs: readonly PodRecord[]): void {
    const entries = recs.flatMap((rec) => (rec.statusJson === null ? [] : [{ uid: rec.uid, namespace: rec.namespace, name: rec.name, statusJson: rec.statusJson, gone: false }]));
    if (entries.length > 0) this.state.feed.appendAll(entries, this.now());
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
