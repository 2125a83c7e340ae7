import type { Machine } from "../../machines/schemas";
import type { ReconcileCounts } from "../../shared/contract";
import { AppUnavailable, type AppProvisioner } from "./app-provisioner";
import type { ConvergeContext } from "./converge";
import type { MachinesPort } from "./machines-port";
import type { DecisionLog } from "./decision-log";
import { instrumentMachines } from "./instrumented-machines";
import type { OpsRecorder } from "./ops-recorder";
import type { Prewarmer } from "./prewarmer";
import type { RateBudget } from "./rate-budget";
import { listClusterMachines, reconcilePass } from "./reconcile";
import type { ReferenceSyncs } from "./reference-syncs";
import type { ServiceSync } from "./service-sync";
import { TOMBSTONE_RETENTION_MS, type ClusterState } from "./state";
import type { StatusPublisher } from "./status-publisher";

const DEFAULT_RECONCILE_INTERVAL_S = 20;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const PENDING_RECONCILE_INTERVAL_MS = 5_000;

export interface ReconcileRunnerDeps {
  state: ClusterState;
  app: AppProvisioner;
  syncs: ReferenceSyncs;
  services: ServiceSync;
  budget: RateBudget;
  status: StatusPublisher;
  decisions: DecisionLog;
  recorder: OpsRecorder;
  prewarmer: Prewarmer;
  converge(): ConvergeContext;
  /** Re-arms the object's alarm once a pass has set the next one's time. */
  armAlarm(): Promise<void>;
  /** RECONCILE_INTERVAL_S as configured (seconds; invalid or unset: 20). */
  intervalS: string | undefined;
}

/**
 * Runs reconcile passes, one at a time (concurrent calls share the pass under way): the secret,
 * volume and Service syncs, then the pass over every machine, recorded for operators. Owns when
 * the next periodic pass is due (`next_reconcile_at`).
 */
export class ReconcileRunner {
  #running: Promise<ReconcileCounts> | undefined;

  constructor(private readonly d: ReconcileRunnerDeps) {}

  get running(): boolean {
    return this.#running !== undefined;
  }

  /** When the next periodic pass is due (Infinity while one runs: it arms its successor itself). */
  nextAt(now: number): number {
    return this.#running ? Infinity : (this.d.state.meta.get("next_reconcile_at") ?? now + this.#intervalMs());
  }

  /**
   * `sweep`: whether the Service app sweep runs now (asked for) or when it is due (periodic).
   * `admit` (a snapshot's unknown pods: snapshot.ts): called exactly once, with the cluster's
   * machines as a pass of its own listed them before anything else (the pass then compares that
   * listing; a pass under way is let finish first), or with undefined when the app or the list failed.
   */
  run(sweep: "now" | "due" = "due", admit?: (listed: readonly Machine[] | undefined) => void): Promise<ReconcileCounts> {
    if (this.#running) return admit ? this.#running.catch(() => undefined).then(() => this.run(sweep, admit)) : this.#running;
    this.#running = this.#pass(sweep, admit).finally(async () => {
      const { meta, work } = this.d.state;
      // Sooner while work is pending: a machine being repaired or waited for is looked at again soon.
      const interval = work.nextDueAt() === undefined ? this.#intervalMs() : Math.min(PENDING_RECONCILE_INTERVAL_MS, this.#intervalMs());
      meta.set("next_reconcile_at", Date.now() + interval);
      this.#running = undefined;
      await this.d.armAlarm();
    });
    return this.#running;
  }

  async #pass(sweep: "now" | "due", admit: ((listed: readonly Machine[] | undefined) => void) | undefined): Promise<ReconcileCounts> {
    const { state, app, syncs, services, decisions } = this.d;
    const { meta } = state;
    let ready = false;
    try {
      ready = await app.ensure();
    } finally {
      if (!ready) admit?.(undefined);
    }
    if (!ready) throw new AppUnavailable(app.lastError() ?? "app not ready");
    const pass = (meta.get("reconcile_pass") ?? 0) + 1;
    meta.set("reconcile_pass", pass);
    const c = this.d.converge();
    const started = Date.now();
    let calls = 0;
    const machines = instrumentMachines(c.machines, () => calls++);
    const tally: Record<string, number> = {};
    const result = (async () => {
      // Listed first when pods wait for it (they are admitted before the syncs, which follow what they reference).
      let listed: Machine[] | undefined;
      try {
        if (admit) listed = await listClusterMachines({ machines, app: c.app, cluster: c.cluster, budget: this.d.budget, sleep });
      } finally {
        admit?.(listed);
      }
      // A failed sync does not stop the pass: its machines are still compared and orphans still swept.
      const failed = (what: string) => (e: unknown) => decisions.record({ action: `sync-${what}`, outcome: "failed", reason: `the ${what} sync failed and is retried next pass: ${e instanceof Error ? e.message : String(e)}` });
      await syncs.secrets(true).catch(failed("secrets"));
      await syncs.volumes({ pass, asked: sweep === "now" }).catch(failed("volumes"));
      await services.run(sweep);
      return this.#compare(pass, c, machines, tally, listed);
    })();
    const counts = await this.d.recorder.pass(pass, started, () => calls, tally, result).catch((e: unknown) => {
      decisions.record({ action: "reconcile", outcome: "failed", reason: `pass ${pass} failed and the next one retries: ${e instanceof Error ? e.message : String(e)}` });
      throw e;
    });
    void this.d.prewarmer.kick();
    return counts;
  }

  /** The pass proper (reconcile.ts) over this cluster's stores, its decisions tallied by action for the pass's record. */
  #compare(pass: number, c: ConvergeContext, machines: MachinesPort, tally: Record<string, number>, listed: readonly Machine[] | undefined): Promise<ReconcileCounts> {
    const { state, decisions } = this.d;
    const { meta, pods, orphans, work } = state;
    const swept = (counts: ReconcileCounts) => {
      meta.set("orphan_sweep_pass", pass);
      const before = Date.now() - TOMBSTONE_RETENTION_MS;
      pods.pruneTombstones(before);
      state.objects.pruneTombstones(before);
      return counts;
    };
    return reconcilePass({
      machines,
      app: c.app,
      cluster: c.cluster,
      pods,
      orphans,
      spares: state.spares,
      budget: this.d.budget,
      pass,
      previousSweep: meta.get("orphan_sweep_pass"),
      now: Date.now,
      sleep,
      schedule: (uid) => work.schedule(uid, Date.now()),
      scheduleAll: (uids) => work.scheduleAll(uids, Date.now()),
      dropWork: (uids) => work.forgetAll(uids),
      refreshStatus: (rec) => this.d.status.refresh(rec),
      statusOf: (rec) => this.d.status.statusOf(rec),
      announceStatuses: (recs) => this.d.status.announceAll(recs),
      decide: (d) => {
        tally[d.action] = (tally[d.action] ?? 0) + 1;
        decisions.record(d);
      },
    }, listed).then(swept);
  }

  #intervalMs(): number {
    const s = Number(this.d.intervalS ?? DEFAULT_RECONCILE_INTERVAL_S);
    return (Number.isFinite(s) && s > 0 ? s : DEFAULT_RECONCILE_INTERVAL_S) * 1000;
  }
}
