import { DurableObject } from "cloudflare:workers";
import { MachinesClient } from "../../machines/client";
import { MachinesApiError } from "../../machines/errors";
import { backoffMs } from "./backoff";
import { convergePod, type ConvergeContext } from "./converge";
import { applyEvent, type EventResult, type WatchEvent } from "./intake";
import { applySnapshot } from "./snapshot";
import { migrate } from "./migrations";
import { podStatusOf } from "./pod-status";
import { PodStore } from "./pod-store";
import { RateBudget } from "./rate-budget";
import { reconcilePass, type ReconcileCounts } from "./reconcile";
import { StatusFeed, type FeedEntry, type FeedPage } from "./status-feed";
import type { Snapshot } from "./snapshot";

/** The cluster's Fly app cannot be used (missing and not creatable, or the API refuses): nothing can converge. */
export class AppUnavailable extends Error {
  override readonly name = "AppUnavailable";
}

/** Pods converging at once; each holds at most one API request (or one short `wait`) open. */
const CONCURRENCY = 32;
const DEFAULT_RECONCILE_INTERVAL_S = 20;
const PENDING_RECONCILE_INTERVAL_MS = 5_000;

export interface PodView {
  uid: string;
  namespace: string;
  name: string;
  machineId: string | null;
  machineState: string | null;
  status: unknown;
}

/**
 * All state of one cluster (= one Fly app): pods and their machines, tombstones, due work, the
 * status feed. One object per cluster because Fly's create budget is per app, so the object that
 * owns the app's budget must see every pod; see the README for the measured capacity.
 */
export class ClusterObject extends DurableObject<Env> {
  private readonly store: PodStore;
  private readonly budget = new RateBudget();
  private readonly reservations = new Map<string, number>();
  private readonly inflight = new Set<string>();
  private readonly feed: StatusFeed;
  private draining: Promise<void> | undefined;
  private reconciling: Promise<ReconcileCounts> | undefined;
  private appCheck: Promise<boolean> | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    migrate(ctx.storage);
    this.store = new PodStore(ctx.storage.sql);
    this.feed = new StatusFeed(ctx.storage.sql);
  }

  // ---- RPC (called by the worker's routes)

  async applyEvents(cluster: string, events: WatchEvent[]): Promise<EventResult[]> {
    this.setCluster(cluster);
    const ctx = this.intakeContext(cluster);
    const results = this.ctx.storage.transactionSync(() => events.map((event) => applyEvent(ctx, event)));
    if (ctx.scheduled) await this.kick();
    return results;
  }

  /**
   * Converges now. With a snapshot (the relay's full lists after a relist), desired state is
   * first replaced by it: whatever is stored but absent is deleted. Concurrent calls share one pass.
   */
  async reconcile(cluster: string, snapshot?: Snapshot): Promise<{ counts: ReconcileCounts } | { unavailable: string }> {
    this.setCluster(cluster);
    let fromSnapshot = { destroyed: 0 };
    if (snapshot) {
      const ctx = this.intakeContext(cluster);
      fromSnapshot = this.ctx.storage.transactionSync(() => applySnapshot(ctx, snapshot));
    }
    try {
      const counts = await this.reconcileNow();
      await this.kick();
      return { counts: { ...counts, destroyed: Math.max(counts.destroyed, fromSnapshot.destroyed) } };
    } catch (e) {
      // The snapshot is stored either way; convergence resumes once the app is usable.
      if (e instanceof AppUnavailable) return { unavailable: e.message };
      throw e;
    }
  }

  async statusFeed(cluster: string, after: number, waitMs: number): Promise<FeedPage> {
    this.setCluster(cluster);
    return this.feed.read(after, waitMs, () => this.currentStatuses());
  }

  getPod(uid: string): PodView | null {
    const row = this.store.get(uid);
    if (!row) return null;
    return {
      uid: row.uid,
      namespace: row.namespace,
      name: row.name,
      machineId: row.machine_id,
      machineState: row.machine_state,
      status: row.status_json ? JSON.parse(row.status_json) : null,
    };
  }

  override async alarm(): Promise<void> {
    if (this.meta("cluster") === undefined) return;
    const reconcileDue = Date.now() >= Number(this.meta("next_reconcile_at") ?? 0);
    // A pass may wait for list budget; due work does not wait for it.
    await Promise.all([
      reconcileDue ? this.reconcileNow().catch((e: unknown) => this.setMeta("reconcile_error", e instanceof Error ? e.message : String(e))) : undefined,
      this.drain(),
    ]);
  }

  private reconcileNow(): Promise<ReconcileCounts> {
    this.reconciling ??= (async () => {
      try {
        if (!(await this.ensureApp())) throw new AppUnavailable(this.meta("app_error") ?? "app not ready");
        const pass = Number(this.meta("reconcile_pass") ?? "0") + 1;
        this.setMeta("reconcile_pass", String(pass));
        const c = this.convergeContext();
        return await reconcilePass({ ...c, sql: this.ctx.storage.sql, pass, schedule: (uid) => this.store.schedule(uid, Date.now()) });
      } finally {
        // Sooner while work is pending: a machine being repaired or waited for is looked at again soon.
        const interval = this.store.nextDueAt() === undefined ? this.reconcileIntervalMs() : Math.min(PENDING_RECONCILE_INTERVAL_MS, this.reconcileIntervalMs());
        this.setMeta("next_reconcile_at", String(Date.now() + interval));
        this.reconciling = undefined;
        await this.armAlarm();
      }
    })();
    return this.reconciling;
  }

  private reconcileIntervalMs(): number {
    const s = Number(this.env.RECONCILE_INTERVAL_S ?? DEFAULT_RECONCILE_INTERVAL_S);
    return (Number.isFinite(s) && s > 0 ? s : DEFAULT_RECONCILE_INTERVAL_S) * 1000;
  }

  private intakeContext(cluster: string) {
    const now = Date.now();
    const ctx = {
      store: this.store,
      sql: this.ctx.storage.sql,
      cluster,
      now,
      scheduled: false,
      schedule: (uid: string) => {
        this.store.schedule(uid, now);
        ctx.scheduled = true;
      },
      refreshStatus: (uid: string) => this.refreshStatus(uid),
    };
    return ctx;
  }

  // ---- convergence

  /** Starts draining due work now; the alarm stays armed as a backstop in case this instance is evicted. */
  private async kick(): Promise<void> {
    await this.ctx.storage.setAlarm(Date.now());
    void this.drain();
  }

  private drain(): Promise<void> {
    this.draining ??= (async () => {
      try {
        // Without the app no call can succeed; appNotReady has armed the alarm for the retry.
        if (!(await this.ensureApp())) return;
        await Promise.all(Array.from({ length: CONCURRENCY }, () => this.worker()));
        await this.armAlarm();
      } finally {
        this.draining = undefined;
      }
    })();
    return this.draining;
  }

  private async worker(): Promise<void> {
    for (;;) {
      const work = this.store.due(Date.now(), this.inflight.size + 1).find((w) => !this.inflight.has(w.uid));
      if (!work) return;
      this.inflight.add(work.uid);
      try {
        const r = await convergePod(this.convergeContext(), work.uid, work.attempts);
        if (r.next === "done") this.store.finishStep(work.uid, work.gen, undefined, null, false);
        else this.store.finishStep(work.uid, work.gen, Date.now() + r.inMs, r.error ?? null, r.countAttempt ?? false);
      } finally {
        this.inflight.delete(work.uid);
      }
    }
  }

  /** Next alarm: the earliest due work or the next periodic reconcile (a pass under way arms its successor itself). */
  private async armAlarm(): Promise<void> {
    const reconcileAt = this.reconciling ? Infinity : Number(this.meta("next_reconcile_at") ?? Date.now() + this.reconcileIntervalMs());
    const next = Math.min(this.store.nextDueAt() ?? Infinity, reconcileAt);
    if (next !== Infinity) await this.ctx.storage.setAlarm(Math.max(next, Date.now()));
  }

  private convergeContext(): ConvergeContext {
    return {
      client: this.client(),
      app: this.appName(),
      cluster: this.cluster(),
      store: this.store,
      budget: this.budget,
      reservations: this.reservations,
      now: Date.now,
      refreshStatus: (uid) => this.refreshStatus(uid),
      finish: (uid) => this.finish(uid),
    };
  }

  /** Makes sure the cluster's app exists (creating it in FLY_ORG when configured) before any machine call. One check at a time. */
  private ensureApp(): Promise<boolean> {
    if (this.meta("app_ready") === this.appName()) return Promise.resolve(true);
    this.appCheck ??= this.checkApp().finally(() => (this.appCheck = undefined));
    return this.appCheck;
  }

  private async checkApp(): Promise<boolean> {
    const client = this.client();
    try {
      await client.getApp(this.appName());
    } catch (e) {
      if (!(e instanceof MachinesApiError && e.kind === "not_found")) return this.appNotReady(e);
      if (!this.env.FLY_ORG) return this.appNotReady(new Error(`Fly app ${this.appName()} does not exist and FLY_ORG is not set to create it`));
      try {
        await client.createApp(this.appName(), this.env.FLY_ORG);
      } catch (ce) {
        if (!(ce instanceof MachinesApiError && ce.status === 422)) return this.appNotReady(ce);
      }
    }
    this.setMeta("app_ready", this.appName());
    this.setMeta("app_attempts", "0");
    return true;
  }

  /** Records why the app is not usable, tells the waiting pods, and retries with backoff. */
  private async appNotReady(e: unknown): Promise<false> {
    const attempts = Number(this.meta("app_attempts") ?? "0");
    const message = e instanceof Error ? e.message : String(e);
    this.setMeta("app_attempts", String(attempts + 1));
    this.setMeta("app_error", message);
    const problem = JSON.stringify({ reason: "ProviderAppUnavailable", message, terminal: false });
    for (const row of this.store.all()) {
      if (row.machine_id === null && row.problem_json !== problem && !row.problem_json?.includes('"terminal":true')) {
        this.store.update(row.uid, { problem_json: problem });
        this.refreshStatus(row.uid);
      }
    }
    await this.ctx.storage.setAlarm(Date.now() + backoffMs(attempts));
    return false;
  }

  // ---- status

  private refreshStatus(uid: string): void {
    const row = this.store.get(uid);
    if (!row) return;
    const json = JSON.stringify(podStatusOf(row));
    if (json === row.status_json) return;
    this.store.update(uid, { status_json: json });
    this.feed.append({ uid, namespace: row.namespace, name: row.name, statusJson: json, gone: false });
  }

  private finish(uid: string): void {
    const row = this.store.get(uid);
    if (!row) return;
    this.feed.append({ uid, namespace: row.namespace, name: row.name, statusJson: row.status_json ?? "{}", gone: true });
    this.store.bury(uid);
  }

  private currentStatuses(): FeedEntry[] {
    return this.store.all().map((r) => ({ uid: r.uid, namespace: r.namespace, name: r.name, status: r.status_json ? JSON.parse(r.status_json) : {}, gone: false }));
  }

  // ---- configuration

  private client(): MachinesClient {
    return new MachinesClient({ baseUrl: this.env.MACHINES_API_URL, token: this.env.FLY_API_TOKEN });
  }

  private cluster(): string {
    const c = this.meta("cluster");
    if (!c) throw new Error("cluster name not recorded yet");
    return c;
  }

  private setCluster(cluster: string): void {
    if (this.meta("cluster") !== cluster) this.setMeta("cluster", cluster);
  }

  private appName(): string {
    return (this.env.APP_NAME_TEMPLATE ?? "fks-{cluster}").replace("{cluster}", this.cluster());
  }

  private meta(key: string): string | undefined {
    return this.ctx.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0]?.value;
  }

  private setMeta(key: string, value: string): void {
    this.ctx.storage.sql.exec("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", key, value);
  }
}
