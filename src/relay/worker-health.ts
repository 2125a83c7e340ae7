/**
 * Whether the worker is usable, from its `/healthz` (probed here) and from the status feed
 * (reported by the status sync): unreachable once either has failed without a success in
 * between for longer than `unreachableAfterMs`; reachable again at the first moment none has.
 */
import { errorMessage, type Logger } from "./log";
import type { WorkerClient } from "./worker-client";

export type HealthSource = "healthz" | "feed";

export interface WorkerHealthOptions {
  worker: WorkerClient;
  log: Logger;
  intervalMs: number;
  unreachableAfterMs: number;
  onChange: (reachable: boolean, message?: string) => void;
}

export class WorkerHealth {
  private readonly failingSince = new Map<HealthSource, number>();
  private reachable = true;
  private timer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();

  constructor(private readonly opts: WorkerHealthOptions) {}

  start(): void {
    void this.probe();
    this.timer = setInterval(() => void this.probe(), this.opts.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.abort.abort();
  }

  get isReachable(): boolean {
    return this.reachable;
  }

  report(source: HealthSource, ok: boolean): void {
    if (ok) this.failingSince.delete(source);
    else if (!this.failingSince.has(source)) this.failingSince.set(source, Date.now());
    this.evaluate();
  }

  private async probe(): Promise<void> {
    let ok = false;
    try {
      ok = (await this.opts.worker.healthz(this.abort.signal)).status === 200;
    } catch (e) {
      if (this.abort.signal.aborted) return;
      this.opts.log.debug("worker /healthz failed", { error: errorMessage(e) });
    }
    this.report("healthz", ok);
  }

  private evaluate(): void {
    const now = Date.now();
    const failing = [...this.failingSince].filter(([, since]) => now - since > this.opts.unreachableAfterMs).map(([source]) => source);
    const reachable = failing.length === 0;
    if (reachable === this.reachable) return;
    this.reachable = reachable;
    const message = reachable ? undefined : `the machinelet worker's ${failing.join(" and ")} failed for more than ${this.opts.unreachableAfterMs / 1000}s`;
    if (reachable) this.opts.log.info("worker reachable again");
    else this.opts.log.warn("worker unreachable", { message });
    this.opts.onChange(reachable, message);
  }
}
