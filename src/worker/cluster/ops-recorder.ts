import type { ReconcileCounts } from "../../shared/contract";
import type { OpsStore } from "./state";

/** Bucket bounds (seconds) of the worker's histograms. */
export const WAIT_BUCKETS = [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300];
export const PASS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * The worker's counters, kept in the cluster's SQLite (OpsStore) so they survive eviction.
 * Histograms are stored as their cumulative `_bucket`, `_sum` and `_count` series.
 */
export class OpsRecorder {
  constructor(private readonly ops: OpsStore) {}

  /** Counted one turn later: the step's next call must not wait for this write (OpsStore.addLater). */
  apiCall(action: string, code: string): void {
    this.ops.addLater("machinelet_machines_api_requests_total", { action, code });
    if (code === "429") this.ops.addLater("machinelet_machines_api_rate_limited_total", { action });
  }

  /** Counted a turn later too: the intake's writes are what a pod's create waits for (OpsStore.addLater). */
  intake(outcomes: ReadonlyArray<{ kind: string; outcome: string }>): void {
    const tally = new Map<string, { kind: string; outcome: string; n: number }>();
    for (const r of outcomes) {
      const key = `${r.kind}\u0000${r.outcome}`;
      const t = tally.get(key) ?? { kind: r.kind, outcome: r.outcome, n: 0 };
      t.n++;
      tally.set(key, t);
    }
    for (const t of tally.values()) this.ops.addLater("machinelet_intake_events_total", { kind: t.kind, outcome: t.outcome }, t.n);
  }

  /** Counted a turn later: the alarm's first calls must not wait for this write (OpsStore.addLater). */
  alarm(): void {
    this.ops.addLater("machinelet_alarms_total", {});
  }

  budgetWait(seconds: number): void {
    this.observe("machinelet_rate_budget_wait_seconds", WAIT_BUCKETS, seconds);
  }

  /**
   * Awaits a reconcile pass and keeps it, completed or failed, for the status page and the
   * metrics; `tally` counts the pass's decisions by action.
   */
  async pass(pass: number, started: number, calls: () => number, tally: Record<string, number>, result: Promise<ReconcileCounts>): Promise<ReconcileCounts> {
    let counts: ReconcileCounts | undefined;
    let error: string | null = null;
    try {
      return (counts = await result);
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
      throw e;
    } finally {
      const durationMs = Date.now() - started;
      const repairs = { orphans: counts?.orphansDestroyed ?? 0, drift: tally["repair-drift"] ?? 0, recreated: counts?.created ?? 0, restarted: tally["restart"] ?? 0 };
      this.ops.addPass({ pass, startedAt: new Date(started).toISOString(), durationMs, calls: calls(), repairs, error });
      this.observe("machinelet_reconcile_duration_seconds", PASS_BUCKETS, durationMs / 1000);
      this.ops.add("machinelet_reconcile_passes_total", { result: error ? "failed" : "ok" });
      for (const [kind, n] of Object.entries(repairs)) if (n > 0) this.ops.add("machinelet_reconcile_repairs_total", { kind }, n);
    }
  }

  private observe(name: string, buckets: readonly number[], value: number): void {
    for (const le of buckets) if (value <= le) this.ops.add(`${name}_bucket`, { le: String(le) });
    this.ops.add(`${name}_bucket`, { le: "+Inf" });
    this.ops.add(`${name}_sum`, {}, value);
    this.ops.add(`${name}_count`, {});
  }
}
