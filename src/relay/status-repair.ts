/**
 * Puts a pod's status back when someone else changed it on the API server, as the kubelet's status
 * manager does (pkg/kubelet/status/status_manager.go: syncBatch re-writes, every 10 s, each pod
 * whose API server copy `needsReconcile` against the status it holds). The case this is for: when
 * the Node goes NotReady or Unknown, the node lifecycle controller's MarkPodsNotReady sets every
 * pod's Ready to False. Once the Node is back the worker's statuses have not changed, so the feed
 * brings nothing new, and without this the pods would stay unready (out of EndpointSlices) for ever.
 *
 * Contract:
 * - It holds, per pod UID, the last status the feed delivered (`hold`; a restarted relay also holds
 *   every pod's current status, read once), until the pod is deleted (its DELETED event, a `gone`
 *   entry, a write that finds it gone), the feed's write of it is refused for good, or more than
 *   HELD_CAPACITY pods are held (the one delivered longest ago goes first).
 * - It compares the API server's copy, as the pod informer shows it (each pod event, and a pass over
 *   every pod each REPAIR_INTERVAL_MS), with the held status in what the relay owns (pod-status-patch.ts:
 *   phase, the kubelet's conditions, IPs, container statuses; others' conditions are not compared)
 *   and, where they differ, hands the held entry to `write`.
 * - `write` writes it as the feed's entries are written (a fresh read, a strategic merge patch
 *   carrying the UID, nothing for a pod in a terminal phase), never at the same time as one of them,
 *   and not at all once a newer entry for the pod replaced it.
 * - At most one repair per pod per REPAIR_INTERVAL_MS, so a status the API server stores otherwise
 *   than it was sent cannot make a write loop; normally the write's own MODIFIED event already shows
 *   the copy equal and nothing follows.
 * - Nothing is repaired while the Node is NotReady by the relay's own account (the worker
 *   unreachable): the held statuses may be stale then, and Ready=False is what the node lifecycle
 *   controller rightly set. Every pod is looked at again when the Node is Ready again.
 */
import type { FeedEntry } from "../shared/contract";
import { isJsonObject, type JsonObject } from "../shared/json";
import type { EventType } from "./event-queue";
import type { KubeObject } from "./kube-api";
import { errorMessage, type Logger } from "./log";
import { isTerminalPod, podStatusPatch } from "./pod-status-patch";

/** The kubelet's syncBatch period. */
export const REPAIR_INTERVAL_MS = 10_000;
/** Pods whose status is held; as many as the virtual Node's default pod capacity. */
const HELD_CAPACITY = 10_000;

interface Held {
  entry: FeedEntry & { status: JsonObject };
  /** The pod's resourceVersion whose status was found to need nothing: that copy is not compared again. */
  settledAt?: string;
  /** When this pod's status was last handed to `write` for a repair. */
  repairedAt?: number;
}

export interface StatusRepairOptions {
  log: Logger;
  /** Every pod the informers hold now. */
  pods: () => Iterable<KubeObject>;
  /** Writes a held entry (see the contract above); what it throws is logged. */
  write: (entry: FeedEntry) => Promise<unknown>;
}

export class StatusRepair {
  private readonly held = new Map<string, Held>();
  /** UIDs of pods to repair, in the order found. */
  private readonly due = new Set<string>();
  private draining: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private nodeReady = true;
  private stopped = false;

  constructor(private readonly opts: StatusRepairOptions) {}

  start(): void {
    this.timer ??= setInterval(() => this.pass(), REPAIR_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.due.clear();
    await this.draining;
  }

  /** The feed delivered `entry`: from now on it is the pod's status (a gone pod, or one without a status, has none). */
  hold(entry: FeedEntry): void {
    // Deleted first so that the Map's order is delivery order (HELD_CAPACITY drops the oldest).
    this.held.delete(entry.uid);
    // A status the worker computed has a phase; `{}` is a pod it has not observed yet.
    if (entry.gone || typeof entry.status?.phase !== "string") return this.forget(entry.uid);
    this.held.set(entry.uid, { entry: entry as Held["entry"] });
    if (this.held.size > HELD_CAPACITY) this.forget(this.held.keys().next().value!);
  }

  forget(uid: string): void {
    this.held.delete(uid);
    this.due.delete(uid);
  }

  /** Whether `entry` is still the pod's held status (no newer entry replaced it). */
  holds(entry: FeedEntry): boolean {
    return this.held.get(entry.uid)?.entry === entry;
  }

  /** A pod event from the informer. */
  observe(type: EventType, pod: KubeObject): void {
    if (type === "DELETED") return this.forget(pod.metadata.uid ?? "");
    this.check(pod);
    this.kick();
  }

  /** The Node's readiness as the relay reports it; repairs wait while it is NotReady. */
  setNodeReady(ready: boolean): void {
    this.nodeReady = ready;
    if (ready) this.pass();
  }

  /** Compares every pod the informers hold. */
  pass(): void {
    if (this.stopped) return;
    for (const pod of this.opts.pods()) this.check(pod);
    this.kick();
  }

  private check(pod: KubeObject): void {
    const { uid, resourceVersion } = pod.metadata;
    const held = uid ? this.held.get(uid) : undefined;
    if (!uid || !held || !this.nodeReady) return;
    if (resourceVersion !== undefined && resourceVersion === held.settledAt) return;
    if (isTerminalPod(pod) || !podStatusPatch(uid, isJsonObject(pod.status) ? pod.status : {}, held.entry.status)) {
      held.settledAt = resourceVersion;
      return;
    }
    if (held.repairedAt !== undefined && Date.now() - held.repairedAt < REPAIR_INTERVAL_MS) return;
    this.due.add(uid);
  }

  private kick(): void {
    if (this.draining || this.due.size === 0 || this.stopped) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      this.kick();
    });
  }

  /** One repair at a time; a Set's iteration also visits what is added while it runs. */
  private async drain(): Promise<void> {
    for (const uid of this.due) {
      this.due.delete(uid);
      const held = this.held.get(uid);
      if (!held || !this.nodeReady || this.stopped) continue;
      held.repairedAt = Date.now();
      try {
        await this.opts.write(held.entry);
      } catch (e) {
        this.opts.log.warn("pod status not repaired", { namespace: held.entry.namespace, name: held.entry.name, uid, error: errorMessage(e) });
      }
    }
  }
}
