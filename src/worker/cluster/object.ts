import { DurableObject } from "cloudflare:workers";
import { MachinesClient } from "../../machines/client";
import type { Machine } from "../../machines/schemas";
import { isMachinesApiError } from "../../machines/errors";
import type { ClaimView, FeedPage, PodView, ServiceView, ReconcileCounts, Snapshot } from "../../shared/contract";
import type { ClusterStatusView } from "../ops/status-view";
import { deferredWrite, logLevelOf } from "../log";
import { AppProvisioner, AppUnavailable } from "./app-provisioner";
import { DecisionLog } from "./decision-log";
import { instrumentMachines } from "./instrumented-machines";
import { OpsRecorder } from "./ops-recorder";
import { buildStatusView } from "./status-view-builder";
import type { ConvergeContext } from "./converge";
import { convergeContextOf } from "./object-converge-context";
import { ImagePullBackoff } from "./image-pull-backoff";
import { reviseAddressed } from "./dependents";
import { serviceViewOf } from "./service-view";
import { ServiceSync } from "./service-sync";
import { clusterDnsFrom } from "../translate/pod-dns";
import { spareSettingsFrom } from "../translate/spare-template";
import { applyEvent, intakeContextOf, type EventResult, type IntakeContext, type WatchEvent } from "./intake";
import { translateContextOf } from "./object-lookups";
import { ExitWatcher } from "./exit-watch";
import { Prewarmer } from "./prewarmer";
import { RateBudget } from "./rate-budget";
import { ReconcileRunner } from "./reconcile-runner";
import { ReferenceSyncs } from "./reference-syncs";
import { admitUnknownPods, applySnapshot } from "./snapshot";
import { openClusterState, withBatchedWrites, type ClusterState, type CounterSample } from "./state";
import { StatusPublisher } from "./status-publisher";
import { claimViewOf, opsMetricsOf, podMachineOf, podViewOf } from "./views";
import { WaitLanes } from "./wait-lanes";
import { WorkLoop } from "./work-loop";

/**
 * All state of one cluster (= one Fly app): pods and their machines, tombstones, due work, the
 * status feed. One object per cluster because Fly's create budget is per app, so the object that
 * owns the app's budget must see every pod; see the README for the measured capacity.
 *
 * The public methods are the RPC surface the worker's routes call; everything else is `#private`.
 * The object composes: the stores (`state/`), the one rate budget, the app provisioner, the work
 * loop (convergence steps), the reconcile pass, the exit watch, the secret and volume syncs and the
 * status publisher; it owns only the alarm and the schedule.
 */
export class ClusterObject extends DurableObject<Env> {
  readonly #state: ClusterState;
  readonly #budget = new RateBudget();
  readonly #imagePulls = new ImagePullBackoff();
  readonly #status: StatusPublisher;
  readonly #app: AppProvisioner;
  readonly #loop: WorkLoop;
  readonly #waits = new WaitLanes();
  readonly #decisions: DecisionLog;
  readonly #recorder: OpsRecorder;
  readonly #prewarmer: Prewarmer;
  readonly #syncs: ReferenceSyncs;
  readonly #exits: ExitWatcher;
  readonly #services: ServiceSync;
  readonly #reconciler: ReconcileRunner;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#state = openClusterState(ctx.storage);
    this.#recorder = new OpsRecorder(this.#state.ops);
    this.#decisions = new DecisionLog(this.#state.ops, () => this.#state.meta.get("cluster"), logLevelOf(env), Date.now, deferredWrite());
    this.#status = new StatusPublisher(this.#state, Date.now);
    this.#app = new AppProvisioner({
      state: this.#state,
      apps: () => this.#client(),
      appName: () => this.#appName(),
      org: env.FLY_ORG || undefined,
      now: Date.now,
      refreshStatus: (rec) => this.#status.refresh(rec),
      retryAt: (at) => ctx.storage.setAlarm(at),
      decide: (d) => this.#decisions.record(d),
    });
    this.#services = new ServiceSync({
      state: this.#state,
      fly: () => this.#client(),
      cluster: () => this.#state.meta.cluster(),
      clusterApp: () => this.#appName(),
      org: env.FLY_ORG || undefined,
      appReady: () => this.#app.ensure(),
      budget: this.#budget,
      now: Date.now,
      decide: (d) => this.#decisions.record(d),
      addressed: (services) => {
        const ctx = this.#intakeContext(this.#state.meta.cluster());
        this.ctx.storage.transactionSync(() => reviseAddressed(ctx, this.#state.objects, services));
        if (ctx.scheduled) void this.#kick();
      },
      retryAt: () => this.#armAlarm(),
    });
    this.#loop = new WorkLoop(this.#state.work, () => this.#convergeContext(), Date.now, (e) => this.#decisions.record({ action: "drain", outcome: "failed", reason: `draining due work failed; it stays due for the next alarm: ${e instanceof Error ? e.message : String(e)}` }));
    this.#prewarmer = new Prewarmer(
      () => ({ ...this.#convergeContext(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) }),
      () => this.#app.ensure(),
      () => this.#state.spares.prewarmWanted(),
    );
    this.#exits = new ExitWatcher({
      pods: this.#state.pods,
      now: Date.now,
      draining: () => this.#loop.busy,
      drain: () => this.#state.work.nextDueAt() !== undefined && void this.#drain(),
      rearm: () => this.#armAlarm(),
      context: () => (this.#state.meta.get("app_ready") === undefined ? undefined : { ...this.#convergeContext(), schedule: (uid) => this.#state.work.schedule(uid, Date.now()) }),
    });
    this.#syncs = new ReferenceSyncs({
      state: this.#state,
      budget: this.#budget,
      ensureApp: () => this.#app.ensure(),
      client: () => this.#client(),
      app: () => this.#appName(),
      now: Date.now,
      decide: (d) => this.#decisions.record(d),
      revise: async (change) => {
        const ctx = this.#intakeContext(this.#state.meta.cluster());
        this.ctx.storage.transactionSync(() => change(ctx));
        if (ctx.scheduled) await this.#kick();
      },
    });
    this.#reconciler = new ReconcileRunner({
      state: this.#state,
      app: this.#app,
      syncs: this.#syncs,
      services: this.#services,
      budget: this.#budget,
      status: this.#status,
      decisions: this.#decisions,
      recorder: this.#recorder,
      prewarmer: this.#prewarmer,
      converge: () => this.#convergeContext(),
      armAlarm: () => this.#armAlarm(),
      intervalS: env.RECONCILE_INTERVAL_S,
    });
  }

  // ---- RPC (called by the worker's routes)

  async applyEvents(cluster: string, events: WatchEvent[]): Promise<EventResult[]> {
    this.#state.meta.set("cluster", cluster);
    const ctx = this.#intakeContext(cluster);
    const results = this.#batched(() => events.map((event) => applyEvent(ctx, event)));
    this.#recorder.intake(results);
    if (ctx.scheduled) await this.#kick();
    // Best effort now; the reconcile pass retries whatever this could not write.
    if (ctx.secretsChanged) void this.#syncs.secrets(false).catch(() => undefined);
    if (ctx.volumesChanged) void this.#syncs.volumes().catch(() => undefined);
    if (ctx.servicesChanged) void this.#services.run(false);
    return results;
  }

  /**
   * Converges now. A snapshot (the relay's full lists after a relist) first replaces desired state: what it lacks is deleted.
   * Concurrent calls share one pass. Work the pass left due is drained at once; later work waits for the alarm it armed.
   */
  async reconcile(cluster: string, snapshot?: Snapshot): Promise<{ counts: ReconcileCounts } | { unavailable: string }> {
    this.#state.meta.set("cluster", cluster);
    const applied = snapshot && this.#batched(() => applySnapshot(this.#intakeContext(cluster), snapshot));
    let adopted = 0; // pods unknown here wait for the pass's listing: after a loss of state, each is admitted bound to its machine
    const admit = applied?.unknownPods.length ? (listed: readonly Machine[] | undefined) => (adopted = this.#batched(() => admitUnknownPods(this.#intakeContext(cluster), applied.unknownPods, listed))) : undefined;
    try {
      const counts = await this.#reconciler.run("now", admit);
      if ((this.#state.work.nextDueAt() ?? Infinity) <= Date.now()) await this.#kick();
      // Pods bound to their machines as they were admitted are adoptions (updated), as the pass's own are, not unchanged.
      return { counts: { ...counts, destroyed: Math.max(counts.destroyed, applied?.destroyed ?? 0), updated: counts.updated + adopted, unchanged: Math.max(0, counts.unchanged - adopted) } };
    } catch (e) {
      // The snapshot is stored either way; the pass is finished later (the alarm is armed), once
      // the app is usable and the API answers a list again.
      if (e instanceof AppUnavailable) return { unavailable: e.message };
      if (isMachinesApiError(e, "transient") || isMachinesApiError(e, "rate_limited")) return { unavailable: `listing machines failed: ${e.message}` };
      throw e;
    }
  }

  async statusFeed(cluster: string, after: number, waitMs: number): Promise<FeedPage> {
    this.#state.meta.set("cluster", cluster);
    return this.#state.feed.read(after, waitMs, () => this.#state.pods.statuses());
  }

  /** What the status page shows of this cluster (names only, never secret data). */
  statusView(cluster: string): ClusterStatusView {
    this.#state.meta.set("cluster", cluster);
    const ready = this.#state.meta.get("app_ready") === this.#appName();
    return buildStatusView({
      cluster,
      app: { name: this.#appName(), ready, error: ready ? null : (this.#app.lastError() ?? null) },
      state: this.#state,
      reservations: this.#budget.reservations(),
      now: Date.now(),
    });
  }

  /** The cluster's counters (kept across eviction) and the status feed's lag, for `/metrics`. */
  opsMetrics(cluster: string): { counters: CounterSample[]; feedLagSeconds: number } {
    this.#state.meta.set("cluster", cluster);
    return opsMetricsOf(this.#state, Date.now());
  }

  getPod(uid: string): PodView | null {
    const rec = this.#state.pods.get(uid);
    return rec ? podViewOf(rec) : null;
  }

  /** The pod's machine for logs and exec (views.ts). */
  podMachine(uid: string): ReturnType<typeof podMachineOf> | null {
    const rec = this.#state.pods.get(uid);
    return rec ? podMachineOf(rec) : null;
  }

  /** A claim with the status the PV controller would give it. */
  getClaim(namespace: string, name: string): ClaimView | null {
    return claimViewOf(this.#state, namespace, name);
  }

  getService(namespace: string, name: string): ServiceView | null {
    return this.#state.meta.get("cluster") === undefined ? null : serviceViewOf(this.#state, this.#appName(), namespace, name);
  }

  override async alarm(): Promise<void> {
    const { meta } = this.#state;
    if (meta.get("cluster") === undefined) return;
    this.#recorder.alarm();
    const reconcileDue = Date.now() >= (meta.get("next_reconcile_at") ?? 0);
    // A pass may wait for list budget; due work does not wait for it.
    await Promise.all([
      reconcileDue ? this.#reconciler.run().catch(() => undefined) : undefined, // a failed pass is on record (ReconcileRunner)
      this.#drain(),
      !this.#reconciler.running && this.#exits.due() ? this.#exits.run() : undefined,
      Date.now() >= (this.#services.nextDueAt() ?? Infinity) ? this.#services.run(false) : undefined,
    ]);
    await this.#armAlarm();
  }

  // ---- schedule

  /**
   * Starts draining due work now. The alarm is the backstop should this instance die mid-drain; it
   * is written one turn later, so that its write does not hold back (output gate) the drain's first
   * Machines API calls: event -> create issued is the latency users feel.
   */
  async #kick(): Promise<void> {
    void this.#drain();
    await new Promise((r) => setTimeout(r, 0));
    await this.ctx.storage.setAlarm(Date.now());
  }

  /**
   * Without the app no call can succeed; the provisioner has armed the alarm for its retry. The
   * exit watch follows the drain (machines it starts settle meanwhile, and no alarm fires until it ends).
   */
  #drain(): Promise<void> {
    const drained = this.#loop.drain(
      () => this.#app.ensure(),
      async () => {
        void this.#prewarmer.kick(); // claims may have left a template short of spares
        await this.#armAlarm();
      },
    );
    if (!this.#reconciler.running) void this.#exits.run().catch(() => undefined); // a failed look waits for the next alarm
    return drained;
  }

  /**
   * Next alarm: the earliest due work, Service step, watch look or periodic reconcile. A pass under way arms its successor
   * itself and holds the watch back (alarm()), so the watch's due time must not wake the alarm at once, over and over, meanwhile.
   */
  async #armAlarm(): Promise<void> {
    const reconcileAt = this.#reconciler.nextAt(Date.now());
    const watchAt = this.#reconciler.running ? Infinity : this.#exits.nextAt();
    const next = Math.min(this.#state.work.nextDueAt() ?? Infinity, reconcileAt, watchAt, this.#services.nextDueAt() ?? Infinity);
    // Nothing runs before the app's next check: waking sooner would only find it unusable again.
    if (next !== Infinity) await this.ctx.storage.setAlarm(Math.max(next, Date.now(), this.#app.notBefore()));
  }

  /** Intake of many objects at once: one transaction, admissions batched. */
  #batched<T>(fn: () => T): T {
    return this.ctx.storage.transactionSync(() => withBatchedWrites(this.#state, fn));
  }

  #intakeContext(cluster: string): IntakeContext & { scheduled: boolean } {
    return intakeContextOf(this.#state, cluster, { lookups: translateContextOf(cluster, this.#state, clusterDnsFrom(this.env)), status: this.#status, decide: (d) => this.#decisions.record(d) });
  }

  #convergeContext(): ConvergeContext {
    const parts = { state: this.#state, budget: this.#budget, waits: this.#waits, imagePulls: this.#imagePulls, status: this.#status, decisions: this.#decisions, recorder: this.#recorder };
    return convergeContextOf(parts, { machines: this.#client(), app: this.#appName(), cluster: this.#state.meta.cluster(), spareSettings: spareSettingsFrom(this.env) });
  }

  // ---- configuration

  #client(): MachinesClient {
    const client = new MachinesClient({ baseUrl: this.env.MACHINES_API_URL, token: this.env.FLY_API_TOKEN });
    return instrumentMachines(client, (action, code) => this.#recorder.apiCall(action, code));
  }

  #appName(): string {
    return (this.env.APP_NAME_TEMPLATE ?? "fks-{cluster}").replace("{cluster}", this.#state.meta.cluster());
  }
}
