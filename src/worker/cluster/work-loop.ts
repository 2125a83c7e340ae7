import { convergePod, type ConvergeContext } from "./converge";
import type { WorkQueue } from "./state";

/** Pods converging at once; each holds at most one API request (or one short `wait`) open. */
const CONCURRENCY = 32;

/**
 * Drains due work: up to CONCURRENCY lanes each take the earliest due pod no other lane holds,
 * run one convergence step, and record when to look again. One drain at a time; a new trigger
 * while one runs joins it.
 */
export class WorkLoop {
  readonly #inflight = new Set<string>();
  #draining: Promise<void> | undefined;

  constructor(
    private readonly work: WorkQueue,
    private readonly converge: () => ConvergeContext,
    private readonly now: () => number,
  ) {}

  /** Whether a drain is under way (an alarm handler that started it has not returned yet). */
  get busy(): boolean {
    return this.#draining !== undefined;
  }

  /** Runs due work until none is left; `ready` gates it (the app must be usable). */
  drain(ready: () => Promise<boolean>, afterwards: () => Promise<void>): Promise<void> {
    this.#draining ??= (async () => {
      try {
        if (!(await ready())) return;
        await Promise.all(Array.from({ length: CONCURRENCY }, () => this.#lane()));
        await afterwards();
      } finally {
        this.#draining = undefined;
      }
    })();
    return this.#draining;
  }

  async #lane(): Promise<void> {
    for (;;) {
      const item = this.work.due(this.now(), this.#inflight.size + 1).find((w) => !this.#inflight.has(w.uid));
      if (!item) return;
      this.#inflight.add(item.uid);
      try {
        const r = await convergePod(this.converge(), item.uid, item.attempts);
        if (r.next === "done") this.work.finish(item.uid, item.gen);
        else this.work.retryAt(item.uid, item.gen, this.now() + r.inMs, r.error ?? null, r.countAttempt ?? false);
      } finally {
        this.#inflight.delete(item.uid);
      }
    }
  }
}
