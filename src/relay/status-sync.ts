/**
 * Follows the worker's status feed (`GET /status?after=<cursor>&wait=<s>`, signed, long-poll) and
 * writes each pod's status back to Kubernetes, or finishes deleting a pod whose machine is gone.
 *
 * As in the kubelet's status manager, one pod never holds up the others. Each entry of a page is
 * tried once, in order, and then the cursor moves past the page. An entry that
 * - is written, or cannot apply any more (pod gone, recreated, terminal), is done;
 * - is refused for good (a 4xx other than 408/429: a webhook or policy denying it) or fails in our
 *   own code (an unexpected status shape) is skipped, with a warning naming the pod, the HTTP
 *   status and the reason;
 * - fails for now (5xx, 408, 429, no answer) goes to a retry set, one entry per UID, tried again
 *   with backoff between polls until it is done or skipped, or a newer entry for its UID replaces it.
 * So an entry is written at most once per delivery; a page is delivered again only to a relay that
 * stopped in the middle of it (at least once). The retry set lives in memory: a relay restarted
 * while it holds a status writes that pod's next one instead.
 *
 * Each delivered status is also held (status-repair.ts) and written again when someone else changed
 * the pod's copy on the API server (the node lifecycle controller's MarkPodsNotReady), one write at
 * a time with the feed's own. A relay that resumes from a saved cursor hears nothing of pods whose
 * status has not changed since, so it first reads the feed once from 0 (every pod's current status,
 * one answer as large as the cluster's pods) and holds what it gets, without writing it and without
 * taking its cursor: the feed from the saved cursor still brings what happened meanwhile, `gone`
 * entries included, which a page from 0 (current pods only) would lose.
 */
import { feedPageSchema, type FeedEntry } from "../shared/contract";
import { Backoff, sleep, type BackoffPolicy } from "./backoff";
import type { CursorStore } from "./cursor-store";
import type { WatchEvent } from "./event-queue";
import { isStatus, isTransientKubeError, KubeApiError, type KubeApi, type KubeObject } from "./kube-api";
import { errorMessage, type Logger } from "./log";
import { isJsonObject } from "../shared/json";
import type { RelayMetrics } from "./metrics";
import { isTerminalPod, isTerminalStatus, podStatusPatch, STRATEGIC_MERGE_PATCH } from "./pod-status-patch";
import { StatusRepair } from "./status-repair";
import { StatusRetries } from "./status-retries";
import type { WorkerClient } from "./worker-client";


export interface StatusSyncOptions {
  worker: WorkerClient;
  api: KubeApi;
  log: Logger;
  cursorStore: CursorStore;
  feedWaitSeconds: number;
  backoff: BackoffPolicy;
  onFeedAnswer: (ok: boolean) => void;
  metrics?: RelayMetrics;
  /**
   * Sees each delivered entry once, after its first attempt and before the cursor moves past it (the
   * pod's Events: they happened whether or not the status could be written). What it throws is logged.
   */
  onEntry?: (entry: FeedEntry) => Promise<void>;
  /** Every pod on the virtual node the informers hold now (compared with the held statuses). */
  pods: () => Iterable<KubeObject>;
}

/** UIDs this relay moved to a terminal phase, remembered until the informer cache shows it. */
const TERMINAL_MEMORY = 10_000;

export class StatusSync {
  private readonly abort = new AbortController();
  private readonly backoff: Backoff;
  private readonly terminalUids = new Set<string>();
  private readonly retries: StatusRetries;
  private readonly repair: StatusRepair;
  /** Settles after the last write or delete started; the next one waits for it. */
  private writing: Promise<unknown> = Promise.resolve();
  /** True until the held statuses are seeded with every pod's current one (only a relay that resumed from a saved cursor needs that). */
  private unseeded = false;
  private loop: Promise<void> | undefined;
  private cursor: string | undefined;

  constructor(private readonly opts: StatusSyncOptions) {
    this.backoff = new Backoff(opts.backoff);
    this.retries = new StatusRetries(opts.backoff, opts.log);
    this.repair = new StatusRepair({ log: opts.log, pods: opts.pods, write: (entry) => this.apply(entry, true) });
  }

  start(): void {
    this.loop ??= this.run();
    this.repair.start();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all([this.loop, this.repair.stop()]);
  }

  /** A pod event from the informer: the API server's copy, compared with the status held for it. */
  observePod(ev: WatchEvent): void {
    this.repair.observe(ev.type, ev.object);
  }

  /** The Node's readiness as the relay reports it: statuses are only repaired while it is Ready. */
  setNodeReady(ready: boolean): void {
    this.repair.setNodeReady(ready);
  }

  get currentCursor(): string | undefined {
    return this.cursor;
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    try {
      this.cursor = await this.opts.cursorStore.load();
    } catch (e) {
      this.opts.log.error("cannot load the status cursor, starting from the beginning", { error: errorMessage(e) });
    }
    this.unseeded = this.cursor !== undefined;
    while (!this.stopped) {
      try {
        await this.pollOnce();
        this.backoff.reset();
      } catch (e) {
        if (this.stopped) break;
        const delay = this.backoff.next();
        this.opts.log.warn("status feed failed, will retry", { error: errorMessage(e), delayMs: Math.round(delay) });
        await sleep(delay, this.abort.signal);
      }
    }
  }

  private async pollOnce(): Promise<void> {
    if (this.unseeded) await this.seed();
    await this.retries.retryDue((entry) => this.apply(entry), () => this.stopped);
    const wait = this.feedWait();
    const query = new URLSearchParams({ after: this.cursor ?? "0", wait: String(wait) });
    let res;
    try {
      res = await this.opts.worker.signed("GET", `/status?${query}`, "", { signal: this.abort.signal, extraTimeoutMs: wait * 1000, compressed: true });
    } catch (e) {
      if (!this.stopped) this.opts.onFeedAnswer(false);
      throw e;
    }
    if (res.status !== 200) {
      this.opts.onFeedAnswer(false);
      throw new Error(`GET /status answered ${res.status}: ${res.text.slice(0, 300)}`);
    }
    // Readiness follows the feed alone: no entry can stall the page, and one pod's refused writes say
    // nothing about the node (the kubelet stays Ready too); they show in warnings and statusPatches.
    this.opts.onFeedAnswer(true);
    const page = feedPageSchema.parse(JSON.parse(res.text));
    for (const entry of page.pods) {
      if (this.stopped) return;
      this.retries.drop(entry.uid);
      this.repair.hold(entry);
      if (!(await this.apply(entry))) {
        if (this.stopped) return;
        this.retries.defer(entry);
      }
      await this.notify(entry);
    }
    if (this.stopped) return;
    if (page.cursor !== this.cursor) {
      this.cursor = page.cursor;
      await this.opts.cursorStore.save(page.cursor);
    }
  }

  /**
   * Holds every pod's current status (the feed from 0), then compares every pod with it. A failure
   * is logged and tried again before the next poll; the feed goes on meanwhile.
   */
  private async seed(): Promise<void> {
    try {
      const res = await this.opts.worker.signed("GET", "/status?after=0&wait=0", "", { signal: this.abort.signal, compressed: true });
      if (res.status !== 200) throw new Error(`GET /status?after=0 answered ${res.status}: ${res.text.slice(0, 300)}`);
      for (const entry of feedPageSchema.parse(JSON.parse(res.text)).pods) this.repair.hold(entry);
    } catch (e) {
      if (!this.stopped) this.opts.log.warn("cannot read every pod's current status, will retry; until then a status others changed is not put back", { error: errorMessage(e) });
      return;
    }
    this.unseeded = false;
    this.repair.pass();
  }

  /** The long-poll wait, in whole seconds: no longer than until the next retry is due. */
  private feedWait(): number {
    const dueAt = this.retries.nextDueAt();
    if (dueAt === Infinity) return this.opts.feedWaitSeconds;
    return Math.min(this.opts.feedWaitSeconds, Math.max(1, Math.ceil((dueAt - Date.now()) / 1000)));
  }

  /**
   * Writes or deletes as `entry` says, after any write or delete already under way (the feed's and
   * the repairs' never overlap); false when it failed for now and should be tried again. A `repair`
   * is the held entry again: skipped when a newer entry replaced it while it waited its turn.
   */
  private apply(entry: FeedEntry, repair = false): Promise<boolean> {
    const run = this.writing.then(async () => {
      if (repair && !this.repair.holds(entry)) return true;
      try {
        await (entry.gone ? this.finishDelete(entry) : this.writeStatus(entry, repair));
        return true;
      } catch (e) {
        if (this.stopped) return false;
        const transient = isTransientKubeError(e);
        const http = e instanceof KubeApiError ? { status: e.status, reason: e.reason } : {};
        this.opts.metrics?.statusPatches.inc({ outcome: !transient && e instanceof KubeApiError ? "refused" : "error" });
        const what = entry.gone ? "pod not deleted" : "pod status not written";
        this.opts.log.warn(`${what}, ${transient ? "will retry" : "entry skipped"}`, { namespace: entry.namespace, name: entry.name, uid: entry.uid, ...http, error: errorMessage(e) });
        // Refused for good: not to be written again by a repair either.
        if (!transient) this.repair.forget(entry.uid);
        return !transient;
      }
    });
    this.writing = run;
    return run;
  }

  private async notify(entry: FeedEntry): Promise<void> {
    try {
      await this.opts.onEntry?.(entry);
    } catch (e) {
      this.opts.log.warn("feed entry not seen by its observer (pod events)", { namespace: entry.namespace, name: entry.name, uid: entry.uid, error: errorMessage(e) });
    }
  }

  /**
   * The pod as the API server has it now; undefined when gone. Read fresh, as the kubelet's status
   * manager does, because the patch deletes what the new status lacks relative to exactly this copy.
   */
  private async currentPod(entry: FeedEntry): Promise<KubeObject | undefined> {
    try {
      return await this.opts.api.request<KubeObject>("GET", `/api/v1/namespaces/${entry.namespace}/pods/${entry.name}`, { signal: this.abort.signal });
    } catch (e) {
      if (isStatus(e, 404)) return undefined;
      throw e;
    }
  }

  /** `repair`: the entry is written again because the API server's copy drifted from it (status-repair.ts). */
  private async writeStatus(entry: FeedEntry, repair: boolean): Promise<void> {
    const ids = { namespace: entry.namespace, name: entry.name, uid: entry.uid };
    if (!entry.status) return;
    const pod = await this.currentPod(entry);
    if (!pod || pod.metadata.uid !== entry.uid) {
      this.repair.forget(entry.uid);
      this.opts.metrics?.statusPatches.inc({ outcome: "skipped" });
      this.opts.log.debug("status for a pod that no longer exists, skipped", ids);
      return;
    }
    if (isTerminalPod(pod) || this.terminalUids.has(entry.uid)) {
      this.opts.metrics?.statusPatches.inc({ outcome: "skipped" });
      this.opts.log.debug("pod already in a terminal phase, status not written", ids);
      return;
    }
    const patch = podStatusPatch(entry.uid, isJsonObject(pod.status) ? pod.status : {}, entry.status);
    if (!patch) {
      this.opts.metrics?.statusPatches.inc({ outcome: "unchanged" });
      this.opts.log.debug("pod status already as reported", ids);
      return;
    }
    try {
      await this.opts.api.request("PATCH", `/api/v1/namespaces/${entry.namespace}/pods/${entry.name}/status`, { body: patch, contentType: STRATEGIC_MERGE_PATCH, signal: this.abort.signal });
    } catch (e) {
      // 404: deleted meanwhile; 409: the name now belongs to another UID. Other refusals: apply().
      if (isStatus(e, 404, 409)) {
        this.opts.metrics?.statusPatches.inc({ outcome: "refused" });
        this.opts.log.warn("pod status not written", { ...ids, error: errorMessage(e) });
        return;
      }
      throw e;
    }
    this.opts.metrics?.statusPatches.inc({ outcome: "written" });
    if (isTerminalStatus(entry.status)) this.rememberTerminal(entry.uid);
    this.opts.log.info(repair ? "pod status written again: someone else had changed it on the API server" : "pod status written", { ...ids, phase: entry.status.phase });
  }

  private async finishDelete(entry: FeedEntry): Promise<void> {
    const ids = { namespace: entry.namespace, name: entry.name, uid: entry.uid };
    try {
      await this.opts.api.request("DELETE", `/api/v1/namespaces/${entry.namespace}/pods/${entry.name}`, {
        body: { apiVersion: "v1", kind: "DeleteOptions", gracePeriodSeconds: 0, preconditions: { uid: entry.uid } },
        signal: this.abort.signal,
      });
      this.opts.metrics?.statusPatches.inc({ outcome: "deleted" });
      this.opts.log.info("pod deleted after its machine was destroyed", ids);
    } catch (e) {
      if (!isStatus(e, 404, 409)) throw e;
      this.opts.log.debug("pod already gone or recreated", ids);
    }
  }

  private rememberTerminal(uid: string): void {
    this.terminalUids.add(uid);
    if (this.terminalUids.size > TERMINAL_MEMORY) this.terminalUids.delete(this.terminalUids.values().next().value!);
  }
}
