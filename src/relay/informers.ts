/**
 * client-node ListWatch informers on the kinds the worker needs, turned into an ordered stream
 * of ADDED/MODIFIED/DELETED events carrying the raw API objects.
 *
 * What this adds to ListWatch (kubernetes-side.md §1.2):
 * - a raw, paginated list function, so list items are the server's JSON (with kind/apiVersion
 *   set here) just like watch events, not client-node model objects;
 * - bookmarks and a server-side timeout on every watch;
 * - restart with backoff when the informer stops on an error, and a watchdog that restarts an
 *   informer from which nothing (a list page, watch connect, event, bookmark) has come for too long;
 * - UID awareness: ListWatch's cache is keyed by name, so a name that comes back with a new UID
 *   becomes DELETED (old UID) + ADDED (new UID) here;
 * - across a restart (which relists from scratch) the previous cache is carried over, so objects
 *   deleted meanwhile still produce DELETED and unchanged ones produce nothing.
 * Each restart uses a fresh ListWatch and Watch ("run"): every callback of a superseded run is
 * ignored, so a late answer of an aborted request can never act on the current state.
 */
import { ListWatch } from "@kubernetes/client-node";
import { Backoff, type BackoffPolicy } from "./backoff";
import type { EventType, WatchEvent } from "./event-queue";
import type { Snapshot } from "./forwarder";
import { RunWatch, type Run } from "./informer-run";
import type { KubeApi, KubeList, KubeObject } from "./kube-api";
import { errorMessage, type Logger } from "./log";
import type { RelayMetrics } from "./metrics";

export interface ResourceSpec {
  kind: string;
  plural: string;
  snapshotKey: keyof Snapshot;
}

export interface InformerOptions {
  api: KubeApi;
  log: Logger;
  resource: ResourceSpec;
  /** Undefined: all namespaces. */
  namespace?: string;
  fieldSelector?: string;
  watchTimeoutSeconds: number;
  watchdogMs: number;
  listPageSize: number;
  backoff: BackoffPolicy;
  onEvent: (ev: WatchEvent) => void;
  /** After each (re)list has been applied to the cache. */
  onListed: () => void;
  metrics?: RelayMetrics;
}

const nameKey = (o: KubeObject) => `${o.metadata.namespace ?? ""}/${o.metadata.name ?? ""}`;
/** A promise that never settles; a fresh one each time, so nothing waiting on it outlives its run. */
const never = () => new Promise<never>(() => {});

export class ResourceInformer {
  private run: Run | undefined;
  /** The last synced cache of a superseded run, until the next run has listed. */
  private carry: Map<string, KubeObject> | undefined;
  private lastActivity = Date.now();
  private readonly backoff: Backoff;
  private restartTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private stopped = true;
  private readonly log: Logger;
  private readonly collectionPath: string;

  constructor(private readonly opts: InformerOptions) {
    this.backoff = new Backoff(opts.backoff);
    this.log = opts.log.child({ informer: opts.resource.plural, ...(opts.namespace ? { namespace: opts.namespace } : {}) });
    this.collectionPath = opts.namespace ? `/api/v1/namespaces/${opts.namespace}/${opts.resource.plural}` : `/api/v1/${opts.resource.plural}`;
  }

  /** True while the current run follows the API: listed and not stopped on an error. */
  get synced(): boolean {
    return this.run?.listedOnce === true && !this.run.failed;
  }

  start(): void {
    this.stopped = false;
    this.lastActivity = Date.now();
    this.beginRun();
    this.watchdog = setInterval(() => this.checkWatchdog(), Math.max(50, Math.min(1000, this.opts.watchdogMs / 4)));
    this.watchdog.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.watchdog);
    clearTimeout(this.restartTimer);
    if (this.run) await this.supersede(this.run);
  }

  list(): KubeObject[] {
    return this.run ? [...this.run.lw.list()] : [];
  }

  /** The cached copy of one object, if the informer has it. */
  get(namespace: string | undefined, name: string): KubeObject | undefined {
    return this.run?.lw.get(name, namespace);
  }

  private beginRun(): void {
    const run: Run = { stale: false, abort: new AbortController(), lw: undefined as unknown as ListWatch<KubeObject>, listing: false, listedOnce: false, failed: false, replaced: new Set() };
    const watch = new RunWatch(this.opts.api.kubeConfig, () => run, {
      beforeWatch: (r) => this.beforeWatch(r),
      onRawEvent: (r, phase, obj) => this.onRawEvent(r, phase, obj),
    });
    const watchPath = `${this.collectionPath}?allowWatchBookmarks=true&timeoutSeconds=${this.opts.watchTimeoutSeconds}`;
    run.lw = new ListWatch<KubeObject>(watchPath, watch, () => this.listFor(run), false, undefined, this.opts.fieldSelector);
    run.lw.on("add", (o) => this.onCacheChange(run, "add", o));
    run.lw.on("update", (o) => this.onCacheChange(run, "update", o));
    run.lw.on("delete", (o) => this.onCacheChange(run, "delete", o));
    run.lw.on("connect", () => {
      if (!run.stale) this.touch();
    });
    run.lw.on("error", (err) => this.onError(run, err));
    this.run = run;
    run.lw.start().catch((err) => this.onError(run, err));
  }

  private async supersede(run: Run): Promise<void> {
    if (run.listedOnce) this.carry = new Map(run.lw.list().map((o) => [nameKey(o), o]));
    run.stale = true;
    run.abort.abort();
    await run.lw.stop();
  }

  private restart(reason: string): void {
    if (this.stopped || !this.run) return;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.log.info("restarting informer", { reason });
    this.opts.metrics?.watchRestarts.inc({ kind: this.opts.resource.kind, reason });
    void this.supersede(this.run);
    this.lastActivity = Date.now();
    this.beginRun();
  }

  private onError(run: Run, err: unknown): void {
    if (run.stale || this.stopped || this.restartTimer) return;
    run.failed = true;
    const delay = this.backoff.next();
    this.log.warn("informer stopped on an error, restarting", { error: errorMessage(err), delayMs: Math.round(delay) });
    this.restartTimer = setTimeout(() => this.restart("error"), delay);
  }

  private checkWatchdog(): void {
    if (this.stopped || this.restartTimer) return;
    const silentMs = Date.now() - this.lastActivity;
    if (silentMs > this.opts.watchdogMs) {
      this.log.warn("informer silent, restarting", { silentMs });
      this.restart("watchdog");
    }
  }

  private touch(): void {
    this.lastActivity = Date.now();
  }

  /** ListWatch's listFn: raw pages; a superseded run's list never settles, so ListWatch does nothing with it. */
  private async listFor(run: Run): Promise<KubeList> {
    let list: KubeList;
    try {
      list = await this.fetchList(run.abort.signal);
    } catch (e) {
      if (run.stale) return never();
      throw e;
    }
    if (run.stale) return never();
    this.touch();
    this.beforeListApplied(run, list.items);
    return list;
  }

  private async fetchList(signal: AbortSignal): Promise<KubeList> {
    const items: KubeObject[] = [];
    let resourceVersion: string | undefined;
    let cont: string | undefined;
    do {
      const q = new URLSearchParams({ limit: String(this.opts.listPageSize) });
      if (this.opts.fieldSelector) q.set("fieldSelector", this.opts.fieldSelector);
      if (cont) q.set("continue", cont);
      const page = await this.opts.api.request<KubeList>("GET", `${this.collectionPath}?${q}`, { signal });
      this.touch(); // a page is activity: a list of many pages may take longer than the watchdog allows one silence
      resourceVersion ??= page.metadata?.resourceVersion;
      for (const item of page.items ?? []) items.push({ ...item, apiVersion: "v1", kind: this.opts.resource.kind });
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return { metadata: { resourceVersion }, items };
  }

  /** Before ListWatch applies a list: DELETED for what vanished since the previous run, and for names now held by another UID. */
  private beforeListApplied(run: Run, items: KubeObject[]): void {
    run.listing = true;
    if (!run.listedOnce && this.carry) {
      run.baseline = this.carry;
      this.carry = undefined;
      const listed = new Set(items.map(nameKey));
      for (const [key, old] of run.baseline) if (!listed.has(key)) this.emit("DELETED", old);
    }
    for (const item of items) {
      const key = nameKey(item);
      const prev = run.lw.get(item.metadata.name ?? "", item.metadata.namespace) ?? run.baseline?.get(key);
      if (prev && prev.metadata.uid !== item.metadata.uid) {
        this.emit("DELETED", prev);
        run.baseline?.delete(key);
        if (run.lw.get(item.metadata.name ?? "", item.metadata.namespace)) run.replaced.add(key);
      }
    }
  }

  /** Every watch (re)connect; the first one after a list means the list is applied. */
  private beforeWatch(run: Run): void {
    this.touch();
    if (!run.listing) return;
    run.listing = false;
    run.listedOnce = true;
    run.baseline = undefined;
    this.log.debug("listed", { objects: run.lw.list().length });
    this.opts.metrics?.relists.inc({ kind: this.opts.resource.kind });
    this.opts.onListed();
  }

  /** Before ListWatch sees a watch event. Only a watch that delivers something resets the restart backoff, so a watch that always fails right after its list cannot relist in a tight loop. */
  private onRawEvent(run: Run, phase: string, obj: KubeObject): void {
    this.touch();
    this.backoff.reset();
    if (phase === "ERROR") {
      this.log.debug("watch error event", { code: (obj as { code?: number }).code, reason: (obj as { reason?: string }).reason });
      return;
    }
    if (phase !== "ADDED" && phase !== "MODIFIED") return;
    const prev = run.lw.get(obj.metadata.name ?? "", obj.metadata.namespace);
    if (prev && prev.metadata.uid !== obj.metadata.uid) {
      this.emit("DELETED", prev);
      run.replaced.add(nameKey(obj));
    }
  }

  private onCacheChange(run: Run, verb: "add" | "update" | "delete", obj: KubeObject): void {
    if (run.stale) return;
    const key = nameKey(obj);
    if (verb === "delete") return this.emit("DELETED", obj);
    if (verb === "update") return this.emit(run.replaced.delete(key) ? "ADDED" : "MODIFIED", obj);
    const base = run.baseline?.get(key);
    if (!base) return this.emit("ADDED", obj);
    if (base.metadata.resourceVersion !== obj.metadata.resourceVersion) this.emit("MODIFIED", obj);
  }

  private emit(type: EventType, object: KubeObject): void {
    this.opts.onEvent({ type, object });
  }
}
