/**
 * Delivers watch events to the worker (`POST /events`, signed, at most 500 events and 5 MiB per
 * request) and, when asked, a full snapshot (`POST /reconcile`). At least once and in order per
 * object: one request in flight at a time, a failed batch goes back in front of the queue, and
 * retries back off. A snapshot is sent once as many events as were queued when it was asked for
 * have been delivered: after those queued before it, and never starved by those that keep coming.
 */
import { eventsResponseSchema, MAX_BODY_BYTES, MAX_EVENTS, type Snapshot as WireSnapshot } from "../shared/contract";
import { Backoff, sleep, type BackoffPolicy } from "./backoff";
import { EventQueue, type Batch, type WatchEvent } from "./event-queue";
import type { KubeObject } from "./kube-api";
import { errorMessage, type Logger } from "./log";
import type { RelayMetrics } from "./metrics";
import type { WorkerClient, WorkerResponse } from "./worker-client";

/** Added to the request timeout for a snapshot reconcile (enough for ~60,000 machines). */
const RECONCILE_EXTRA_TIMEOUT_MS = 60_000;

/** The relay's full lists, as its informer caches hold them (contract: POST /reconcile). */
export type Snapshot = WireSnapshot<KubeObject>;

export interface ForwarderOptions {
  worker: WorkerClient;
  log: Logger;
  backoff: BackoffPolicy;
  maxPendingDeletes: number;
  /** The full current lists, or undefined while some informer has not synced yet. */
  snapshotSource: () => Snapshot | undefined;
  metrics?: RelayMetrics;
}

type Outcome = "sent" | "retry" | "split" | "drop";

export class Forwarder {
  private readonly queue: EventQueue;
  private readonly backoff: Backoff;
  private readonly abort = new AbortController();
  private snapshotWanted = false;
  /** Events that left the queue for good (delivered or dropped), and that count once the ones queued when a snapshot was asked for are gone. */
  private done = 0;
  private snapshotAfter = 0;
  /** Largest batch to try next; halved when the worker refuses a batch as a whole, restored on success. */
  private batchLimit = MAX_EVENTS;
  private wake: (() => void) | undefined;
  private idleWaiters: (() => void)[] = [];
  private loop: Promise<void> | undefined;
  private sent = 0;

  constructor(private readonly opts: ForwarderOptions) {
    this.queue = new EventQueue(opts.maxPendingDeletes);
    this.backoff = new Backoff(opts.backoff);
  }

  start(): void {
    this.loop ??= this.run();
  }

  enqueue(ev: WatchEvent): void {
    if (!this.queue.push(ev)) {
      this.opts.log.warn("pending DELETED events over the cap: dropped the oldest, a snapshot will clean up", { pending: this.queue.size });
      this.wantSnapshot();
    }
    this.kick();
  }

  /**
   * Sends a snapshot once the events queued so far are delivered and every informer has synced. An
   * informer asks after its list's events are queued, so the snapshot follows every list's events.
   */
  requestSnapshot(): void {
    this.snapshotAfter = this.done + this.queue.size;
    this.snapshotWanted = true;
    this.kick();
  }

  /** A snapshot is needed (DELETEs were dropped): after the events queued now, however many follow. */
  private wantSnapshot(): void {
    if (!this.snapshotWanted) this.snapshotAfter = this.done + this.queue.size;
    this.snapshotWanted = true;
  }

  /** Wakes the loop, e.g. when an informer has synced and a waiting snapshot may now be possible. */
  kick(): void {
    this.wake?.();
  }

  stats(): { pending: number; sent: number; snapshotWanted: boolean } {
    return { pending: this.queue.size, sent: this.sent, snapshotWanted: this.snapshotWanted };
  }

  /** Delivers what it can within `flushMs`, then stops; undelivered events are dropped (the next start relists). */
  async stop(flushMs: number): Promise<void> {
    if (flushMs > 0 && this.loop) {
      const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      this.kick();
      await Promise.race([idle, sleep(flushMs)]);
    }
    this.abort.abort();
    this.kick();
    await this.loop;
    if (this.queue.size > 0) this.opts.log.warn("stopped with undelivered events", { pending: this.queue.size });
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (this.snapshotWanted && this.done >= this.snapshotAfter && (await this.trySnapshot())) continue;
      const { batch, oversized } = this.queue.take(this.batchLimit, MAX_BODY_BYTES);
      if (oversized) {
        const m = oversized.object.metadata;
        this.opts.log.error("event larger than a request may be: dropped", { kind: oversized.object.kind, namespace: m.namespace, name: m.name, uid: m.uid });
        this.done++;
        continue;
      }
      if (batch) {
        await this.deliver(batch);
        continue;
      }
      if (this.snapshotWanted && (await this.trySnapshot())) continue;
      for (const resolve of this.idleWaiters.splice(0)) resolve();
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  /** Sends the wanted snapshot if every informer has synced; false while one has not. */
  private async trySnapshot(): Promise<boolean> {
    const snapshot = this.opts.snapshotSource();
    if (!snapshot) return false;
    this.snapshotWanted = false;
    await this.sendSnapshot(snapshot);
    return true;
  }

  private async deliver(batch: Batch): Promise<void> {
    const outcome = await this.postEvents(batch);
    if (outcome === "sent") {
      this.sent += batch.events.length;
      this.done += batch.events.length;
      this.batchLimit = MAX_EVENTS;
      this.backoff.reset();
      return;
    }
    if (outcome === "drop") return void this.done++;
    this.queue.requeue(batch.events);
    if (outcome === "split") {
      this.batchLimit = Math.max(1, Math.floor(batch.events.length / 2));
      return;
    }
    await sleep(this.backoff.next(), this.abort.signal);
  }

  private async postEvents(batch: Batch): Promise<Outcome> {
    const timed = this.opts.metrics?.startBatch(batch.events.length);
    let res: WorkerResponse;
    try {
      res = await this.opts.worker.signed("POST", "/events", batch.body, { signal: this.abort.signal });
    } catch (e) {
      timed?.("failed");
      this.opts.log.warn("event delivery failed, will retry", { events: batch.events.length, error: errorMessage(e) });
      return "retry";
    }
    timed?.(res.status === 200 ? "ok" : res.status === 400 || res.status === 413 ? "refused" : "failed");
    if (res.status === 200) {
      this.logRejections(res.text);
      this.opts.log.debug("events delivered", { events: batch.events.length });
      return "sent";
    }
    // The worker refused the body as a whole (400 unusable, 413 too large): halve the batch to
    // isolate the culprit; a single event it refuses cannot be delivered at all.
    if (res.status === 400 || res.status === 413) {
      const e = batch.events[0]!;
      if (batch.events.length > 1) {
        this.opts.log.warn("worker refused an event batch, splitting it", { status: res.status, events: batch.events.length, error: res.text.slice(0, 300) });
        return "split";
      }
      this.opts.log.error("worker refused an event, dropped", { status: res.status, kind: e.object.kind, uid: e.object.metadata.uid, error: res.text.slice(0, 300) });
      return "drop";
    }
    this.opts.log.warn("event delivery failed, will retry", { status: res.status, events: batch.events.length, error: res.text.slice(0, 300) });
    return "retry";
  }

  private logRejections(text: string): void {
    let parsed;
    try {
      parsed = eventsResponseSchema.safeParse(JSON.parse(text));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) {
      this.opts.log.warn("events response is not {results:[...]}", { body: text.slice(0, 200) });
      return;
    }
    for (const r of parsed.data.results) {
      this.opts.metrics?.eventsForwarded.inc({ outcome: r.outcome });
      if (r.outcome === "rejected") this.opts.log.warn("worker rejected an event", { kind: r.kind, uid: r.uid, message: r.message });
    }
  }

  private async sendSnapshot(snapshot: Snapshot): Promise<void> {
    const counts = Object.fromEntries(Object.entries(snapshot).map(([k, v]) => [k, v.length]));
    let body = JSON.stringify({ snapshot });
    // The worker caps every body at 5 MiB; deciding what is gone needs only each object's identity.
    if (Buffer.byteLength(body) > MAX_BODY_BYTES) {
      body = JSON.stringify({ snapshot: identitiesOnly(snapshot) });
      this.opts.log.warn("snapshot over 5 MiB: sending object identities only", counts);
    }
    let res: WorkerResponse;
    try {
      // The worker answers after its pass, which paces list calls at Fly's 1/s: ~1 s per 1000 machines past the first 3000.
      res = await this.opts.worker.signed("POST", "/reconcile", body, { signal: this.abort.signal, extraTimeoutMs: RECONCILE_EXTRA_TIMEOUT_MS, compressed: true });
    } catch (e) {
      return this.retrySnapshot(errorMessage(e));
    }
    if (res.status === 200) {
      this.backoff.reset();
      this.opts.metrics?.snapshots.inc({ result: "ok" });
      this.opts.log.info("snapshot reconciled", { ...counts, result: safeJson(res.text) });
      return;
    }
    if (res.status >= 500 || res.status === 401 || res.status === 429) return this.retrySnapshot(`${res.status}: ${res.text.slice(0, 300)}`);
    this.opts.metrics?.snapshots.inc({ result: "refused" });
    this.opts.log.error("worker refused the snapshot", { status: res.status, error: res.text.slice(0, 300) });
  }

  private async retrySnapshot(error: string): Promise<void> {
    this.opts.metrics?.snapshots.inc({ result: "retry" });
    this.opts.log.warn("snapshot failed, will retry", { error });
    this.snapshotWanted = true;
    await sleep(this.backoff.next(), this.abort.signal);
  }
}

function identitiesOnly(snapshot: Snapshot): Snapshot {
  const strip = (objs: KubeObject[]) =>
    objs.map((o) => ({
      apiVersion: o.apiVersion,
      kind: o.kind,
      metadata: { uid: o.metadata.uid, name: o.metadata.name, namespace: o.metadata.namespace, resourceVersion: o.metadata.resourceVersion },
    }));
  return {
    pods: strip(snapshot.pods),
    services: strip(snapshot.services),
    secrets: strip(snapshot.secrets),
    configMaps: strip(snapshot.configMaps),
    persistentVolumeClaims: strip(snapshot.persistentVolumeClaims),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text.slice(0, 200);
  }
}
