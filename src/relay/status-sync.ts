/**
 * Follows the worker's status feed (`GET /status?after=<cursor>&wait=<s>`, signed, long-poll) and
 * writes each pod's status back to Kubernetes, or finishes deleting a pod whose machine is gone.
 * An entry is done when it is written or cannot apply any more (pod gone, recreated, terminal);
 * the cursor is saved only after every entry of a page is done, so delivery is at least once.
 */
import { feedPageSchema, type FeedEntry } from "../shared/contract";
import { Backoff, sleep, type BackoffPolicy } from "./backoff";
import type { CursorStore } from "./cursor-store";
import { isStatus, type KubeApi, type KubeObject } from "./kube-api";
import { errorMessage, type Logger } from "./log";
import { isJsonObject } from "../shared/json";
import type { RelayMetrics } from "./metrics";
import { isTerminalPod, isTerminalStatus, podStatusPatch, STRATEGIC_MERGE_PATCH } from "./pod-status-patch";
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
  /** Sees each entry once it is handled, before the cursor moves past it (the pod's Events). */
  onEntry?: (entry: FeedEntry) => Promise<void>;
}

/** UIDs this relay moved to a terminal phase, remembered until the informer cache shows it. */
const TERMINAL_MEMORY = 10_000;

export class StatusSync {
  private readonly abort = new AbortController();
  private readonly backoff: Backoff;
  private readonly terminalUids = new Set<string>();
  private loop: Promise<void> | undefined;
  private cursor: string | undefined;

  constructor(private readonly opts: StatusSyncOptions) {
    this.backoff = new Backoff(opts.backoff);
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
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
    const query = new URLSearchParams({ after: this.cursor ?? "0", wait: String(this.opts.feedWaitSeconds) });
    let res;
    try {
      res = await this.opts.worker.signed("GET", `/status?${query}`, "", { signal: this.abort.signal, extraTimeoutMs: this.opts.feedWaitSeconds * 1000, compressed: true });
    } catch (e) {
      if (!this.stopped) this.opts.onFeedAnswer(false);
      throw e;
    }
    if (res.status !== 200) {
      this.opts.onFeedAnswer(false);
      throw new Error(`GET /status answered ${res.status}: ${res.text.slice(0, 300)}`);
    }
    this.opts.onFeedAnswer(true);
    const page = feedPageSchema.parse(JSON.parse(res.text));
    for (const entry of page.pods) {
      if (this.stopped) return;
      await (entry.gone ? this.finishDelete(entry) : this.writeStatus(entry));
      await this.opts.onEntry?.(entry);
    }
    if (page.cursor !== this.cursor) {
      this.cursor = page.cursor;
      await this.opts.cursorStore.save(page.cursor);
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

  private async writeStatus(entry: FeedEntry): Promise<void> {
    const ids = { namespace: entry.namespace, name: entry.name, uid: entry.uid };
    if (!entry.status) return;
    const pod = await this.currentPod(entry);
    if (!pod || pod.metadata.uid !== entry.uid) {
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
      await this.opts.api.request("PATCH", `/api/v1/namespaces/${entry.namespace}/pods/${entry.name}/status`, {
        body: patch,
        contentType: STRATEGIC_MERGE_PATCH,
        signal: this.abort.signal,
      });
    } catch (e) {
      // 404: deleted meanwhile; 409: the name now belongs to another UID; 422: the API server
      // refuses this status, and retrying the same status would not change that.
      if (isStatus(e, 404, 409, 422)) {
        this.opts.metrics?.statusPatches.inc({ outcome: "refused" });
        this.opts.log.warn("pod status not written", { ...ids, error: errorMessage(e) });
        return;
      }
      this.opts.metrics?.statusPatches.inc({ outcome: "error" });
      throw e;
    }
    this.opts.metrics?.statusPatches.inc({ outcome: "written" });
    if (isTerminalStatus(entry.status)) this.rememberTerminal(entry.uid);
    this.opts.log.info("pod status written", { ...ids, phase: entry.status.phase });
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
