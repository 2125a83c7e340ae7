/**
 * The relay's Prometheus metrics (prom-client), on a registry of its own so several relays in one
 * process (tests, staging) never share counters. Names follow Prometheus conventions: `_total`
 * counters, base units (seconds), a `machinelet_relay_` prefix; the README lists each one.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export class RelayMetrics {
  readonly registry = new Registry();
  private lastFeedAnswerAt: number | undefined;

  readonly eventsForwarded = new Counter({
    name: "machinelet_relay_events_forwarded_total",
    help: "Watch events delivered to the worker, by the worker's outcome (applied, unchanged, queued, rejected, ignored).",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly batches = new Counter({
    name: "machinelet_relay_event_batches_total",
    help: "POST /events to the worker, by result (ok, refused, failed).",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });
  readonly batchDuration = new Histogram({
    name: "machinelet_relay_event_batch_duration_seconds",
    help: "Time of one POST /events to the worker, answered or not.",
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: "machinelet_relay_event_batch_size",
    help: "Events per POST /events (at most 500).",
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500],
    registers: [this.registry],
  });
  readonly snapshots = new Counter({
    name: "machinelet_relay_snapshots_total",
    help: "Full snapshots (after a relist) sent to the worker's reconcile, by result (ok, retry, refused).",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });
  readonly watchRestarts = new Counter({
    name: "machinelet_relay_watch_restarts_total",
    help: "Informer restarts, by kind and reason (error, watchdog).",
    labelNames: ["kind", "reason"] as const,
    registers: [this.registry],
  });
  readonly relists = new Counter({
    name: "machinelet_relay_relists_total",
    help: "Complete lists applied by an informer (the first one and every relist), by kind.",
    labelNames: ["kind"] as const,
    registers: [this.registry],
  });
  readonly statusPatches = new Counter({
    name: "machinelet_relay_status_patches_total",
    help: "Pod status entries from the worker's feed, by outcome (written, unchanged, skipped, refused, error, deleted).",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly feedPolls = new Counter({
    name: "machinelet_relay_status_feed_polls_total",
    help: "Long-polls of the worker's status feed, by result (ok, failed).",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });
  readonly leaseRenewals = new Counter({
    name: "machinelet_relay_lease_renewals_total",
    help: "Renewals of the virtual Node's Lease, by result (ok, failed).",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });

  constructor(sources: { pendingEvents?: () => number; kubeletSessions?: () => number } = {}) {
    const self = this;
    new Gauge({
      name: "machinelet_relay_status_feed_lag_seconds",
      help: "Seconds since the worker's status feed last answered (the age of the newest pod status the relay can have written).",
      registers: [this.registry],
      collect() {
        if (self.lastFeedAnswerAt !== undefined) this.set((Date.now() - self.lastFeedAnswerAt) / 1000);
      },
    });
    if (sources.pendingEvents) {
      const pending = sources.pendingEvents;
      new Gauge({
        name: "machinelet_relay_events_pending",
        help: "Watch events waiting to be delivered to the worker.",
        registers: [this.registry],
        collect() {
          this.set(pending());
        },
      });
    }
    if (sources.kubeletSessions) {
      const sessions = sources.kubeletSessions;
      new Gauge({
        name: "machinelet_relay_kubelet_sessions",
        help: "Open kubelet API sessions (logs -f, exec, port-forward).",
        registers: [this.registry],
        collect() {
          this.set(sessions());
        },
      });
    }
    collectDefaultMetrics({ register: this.registry });
  }

  feedAnswered(ok: boolean): void {
    this.feedPolls.inc({ result: ok ? "ok" : "failed" });
    if (ok) this.lastFeedAnswerAt = Date.now();
  }

  /** Times a batch delivery; `finish` records it with its result. */
  startBatch(size: number): (result: "ok" | "refused" | "failed") => void {
    this.batchSize.observe(size);
    const end = this.batchDuration.startTimer();
    return (result) => {
      end();
      this.batches.inc({ result });
    };
  }
}
