import { convergePod, type ConvergeContext } from "./converge";
import type { WorkQueue, WorkItem } from "./state";

/** Pods converging at once; each holds at most one API request (or one short `wait`) open. */
const CONCURRENCY = 32;
/** While steps are in flight, how often the idle lane looks for work that has come due since. */
const IDLE_LOOK_MS = 250;

/**
 * Drains due work: up to CONCURRENCY lanes each take the earliest due pod no other lane holds,
 * run one convergence step, and record when to look again. One drain at a time; a new trigger
 * while one runs joins it and adds lanes for what is due.
 *
 * While any step is in flight (a `wait` may block for seconds), one idle lane stays and looks
 * every IDLE_LOOK_MS for work that came due meanwhile (a create whose budget slot opened), adding
 * lanes for it: no alarm can fire while the drain holds the alarm handler, so without it such
 * work would wait for the slowest step in flight.
 */
export class WorkLoop {
  readonly #inflight = new Set<string>();
  readonly #lanes = new Set<Promise<void>>();
  #idle = false;
  /** The drain under way has found the app ready: triggers that join it may add lanes. */
  #running = false;
  #draining: Promise<void> | undefined;

  constructor(
    private readonly work: WorkQueue,
    private readonly converge: () => ConvergeContext,
    private readonly now: () => number,
    /** A step, the gate or `afterwards` threw (a storage error): the drain ends without rejecting; its work stays due. */
    private readonly failed: (e: unknown) => void,
  ) {}

  /** Whether a drain is under way (an alarm handler that started it has not returned yet). */
  get busy(): boolean {
    return this.#draining !== undefined;
  }

  /**
   * Runs due work until none is left; `ready` gates it (the app must be usable). Never rejects: a
   * lane that throws ends alone, the others run on, and `afterwards` still runs (it re-arms the alarm).
   */
  drain(ready: () => Promise<boolean>, afterwards: () => Promise<void>): Promise<void> {
    if (this.#draining) {
      if (this.#running) this.#addLanes();
      return this.#draining;
    }
    this.#draining = (async () => {
      try {
        if (!(await ready())) return;
        this.#running = true;
        this.#addLanes();
        while (this.#lanes.size > 0) {
          for (const r of await Promise.allSettled([...this.#lanes])) if (r.status === "rejected") this.failed(r.reason);
        }
        this.#running = false;
        await afterwards();
      } catch (e) {
        this.failed(e);
      } finally {
        this.#running = false;
        this.#draining = undefined;
      }
    })();
    return this.#draining;
  }

  /** Starts one lane per due pod no lane holds, up to CONCURRENCY lanes, each with that pod's step first. */
  #addLanes(): void {
    const room = CONCURRENCY - this.#lanes.size;
    if (room <= 0) return;
    for (const first of this.#pending(this.now(), room)) {
      const lane: Promise<void> = this.#lane(first).finally(() => this.#lanes.delete(lane));
      this.#lanes.add(lane);
    }
  }

  /** Up to `limit` work items due by `at` that no lane holds, earliest first. */
  #pending(at: number, limit: number): WorkItem[] {
    return this.work.due(at, this.#inflight.size + limit).filter((w) => !this.#inflight.has(w.uid)).slice(0, limit);
  }

  async #lane(first: WorkItem): Promise<void> {
    // Then one row per step, however much is due (10,000 pods after an adoption).
    for (let item: WorkItem | undefined = first; ; item = this.work.nextDue(this.now(), this.#inflight)) {
      if (!item) {
        if (this.#idle || this.#inflight.size === 0) return;
        await this.#idleLook();
        continue;
      }
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

  /** The one idle lane: sleeps until the next work is due (at most IDLE_LOOK_MS), then adds lanes for what is due. */
  async #idleLook(): Promise<void> {
    this.#idle = true;
    try {
      const next = this.work.nextDue(Number.MAX_SAFE_INTEGER, this.#inflight);
      const ms = next ? Math.min(IDLE_LOOK_MS, Math.max(0, next.dueAt - this.now())) : IDLE_LOOK_MS;
      await new Promise((r) => setTimeout(r, ms));
    } finally {
      this.#idle = false;
    }
    this.#addLanes();
  }
}
