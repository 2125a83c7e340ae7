import { MachinesApiError } from "../../machines/errors";

/**
 * Client-side budgets matching Fly's documented Machines API limits, so a burst of pods is
 * paced instead of answered with 429s: each action is limited per machine (or per app when
 * there is no machine) to 1 req/s sustained with a burst of 3; getting a machine to 5/s with a
 * burst of 10. Fly counts each action apart ("Create Machine", "Get Volume"...), so every call
 * the worker makes has an action of its own here: a volume read is not a machine read.
 * Buckets live in memory: after an eviction they start full, which is what Fly's own buckets hold
 * after the idle time an eviction implies.
 *
 * This object is the one owner of the cluster's budget: the tokens, and the slots reserved by
 * callers that wait (`slotFor`). Everything that calls Fly for the cluster reserves here.
 */
export type BudgetAction =
  | "create"
  | "update"
  | "start"
  | "stop"
  | "delete"
  | "restart"
  | "get"
  | "wait"
  | "list"
  | "list_secrets"
  | "set_secrets"
  | "create_volume"
  | "get_volume"
  | "list_volumes"
  | "extend_volume"
  | "delete_volume"
  | "get_app"
  /** create or delete an app (scope: the org) */
  | "app"
  /** list or allocate an app's IP assignments */
  | "ips";

interface Limit {
  ratePerS: number;
  burst: number;
}

/**
 * Added to every queued slot: Fly's bucket starts when our first call arrives, which may be
 * well after we reserved its slot (a burst of hundreds of pods keeps the isolate busy for a
 * while before the first requests leave), so a slot computed to the millisecond could land
 * early. A constant offset, not per slot: it delays a queue once and costs no sustained
 * throughput. The 1000-pod burst benchmark showed ~600 ms of such lag.
 */
const SLOT_MARGIN_MS = 1_000;

const DEFAULT_LIMIT: Limit = { ratePerS: 1, burst: 3 };
const LIMITS: Partial<Record<BudgetAction, Limit>> = {
  get: { ratePerS: 5, burst: 10 },
};

interface Bucket {
  tokens: number;
  at: number;
  limit: Limit;
}

/**
 * Buckets and slots are swept when together they reach this many, then when they reach twice what
 * stayed: a full bucket is what a missing one means and a lapsed slot is ignored, so dropping them
 * changes no answer, and a cluster that churns through machines for months holds only the live ones.
 */
const SWEEP_MIN = 256;

/** The slot is not open yet: try again in `ms` (the slot stays the holder's). */
export class BudgetWait {
  constructor(readonly ms: number) {}
}

export class RateBudget {
  private readonly buckets = new Map<string, Bucket>();
  /** `${holder}:${action}` -> when the slot the holder reserved opens. */
  private readonly slots = new Map<string, number>();
  #sweepAt = SWEEP_MIN;

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Reserves one call of `action` on `scope` (machine id or app). Returns 0 when the call may go
   * now, else the ms until its reserved slot: the token is already spent, so callers queue in
   * order instead of all waking at once and racing for the next token.
   */
  reserve(action: BudgetAction, scope: string): number {
    const { b, limit } = this.#refilled(action, scope);
    b.tokens -= 1;
    return b.tokens >= 0 ? 0 : Math.ceil((-b.tokens / limit.ratePerS) * 1000) + SLOT_MARGIN_MS;
  }

  /**
   * Takes one call of `action` on `scope` only when it can go now and `keep` tokens stay for
   * others afterwards; never queues. Work that must never delay a pod's call (pre-warming spares)
   * uses it: it runs on what the pods leave over, and not at all while any pod is queued.
   */
  tryReserve(action: BudgetAction, scope: string, keep: number): boolean {
    const { b } = this.#refilled(action, scope);
    if (b.tokens - 1 < keep) return false;
    b.tokens -= 1;
    return true;
  }

  /**
   * Gives back one slot reserved on `scope` whose call will never be made (its pod was deleted
   * first): every slot queued after it is one place earlier. Never above the burst.
   */
  release(action: BudgetAction, scope: string): void {
    const b = this.buckets.get(`${action}:${scope}`);
    if (!b) return;
    const now = this.now();
    b.tokens = Math.min(b.limit.burst, tokensAt(b, now) + 1);
    b.at = now;
  }

  /**
   * After a 429 despite the budget (another client shares the app, or our calls reached Fly late):
   * no slot opens sooner than `waitMs` from now. Only ever lowers the bucket: slots already handed
   * out stay owed, so a retry queues behind them instead of racing them.
   */
  drain(action: BudgetAction, scope: string, waitMs: number): void {
    const limit = LIMITS[action] ?? DEFAULT_LIMIT;
    const key = `${action}:${scope}`;
    const now = this.now();
    const b = this.buckets.get(key);
    const current = b ? tokensAt(b, now) : limit.burst;
    this.buckets.set(key, { tokens: Math.min(current, 1 - (waitMs / 1000) * limit.ratePerS), at: now, limit });
  }

  /**
   * The slot of `holder` (a pod UID, a claim, a sync) for its next `action` on `scope`: 0 when the
   * call may go now, else the ms until its slot opens. A holder that asks again keeps the slot it
   * reserved: trying again never spends a second token (which would push every later caller back).
   * A slot left unused for longer than the margin has lapsed: meanwhile our bucket refilled as if
   * its call had been made, Fly's did not, so the late call reserves anew.
   */
  slotFor(holder: string, action: BudgetAction, scope: string): number {
    const key = `${holder}:${action}`;
    const now = this.now();
    const held = this.slots.get(key);
    const slot = held !== undefined && !lapsed(held, now) ? held : undefined;
    const waitMs = slot !== undefined ? Math.max(0, slot - now) : this.reserve(action, scope);
    if (waitMs > 0) this.slots.set(key, now + waitMs);
    else this.slots.delete(key);
    return waitMs;
  }

  /**
   * The holder will not make the call it queued for (its pod went): the slot goes back. A lapsed
   * slot has nothing to give back: the bucket has refilled past it, as if its call had been made.
   */
  forgo(holder: string, action: BudgetAction, scope: string): void {
    const key = `${holder}:${action}`;
    const opensAt = this.slots.get(key);
    if (opensAt === undefined) return;
    this.slots.delete(key);
    if (!lapsed(opensAt, this.now())) this.release(action, scope);
  }

  /** Reserved slots still to open, `${holder}:${action}` -> when (the status page's queues). */
  reservations(): ReadonlyMap<string, number> {
    return this.slots;
  }

  /** Buckets and slots held: those of machines and holders that called lately, not every one that ever did. */
  get size(): number {
    return this.buckets.size + this.slots.size;
  }

  /** The bucket of `action` on `scope`, refilled up to now (created full). */
  #refilled(action: BudgetAction, scope: string): { b: Bucket; limit: Limit } {
    const limit = LIMITS[action] ?? DEFAULT_LIMIT;
    const key = `${action}:${scope}`;
    const now = this.now();
    this.#sweep(now);
    let b = this.buckets.get(key);
    if (b) b.tokens = tokensAt(b, now);
    else this.buckets.set(key, (b = { tokens: limit.burst, at: now, limit }));
    b.at = now;
    return { b, limit };
  }

  /** Drops full buckets and lapsed slots once there are SWEEP_MIN of them, or twice what the last sweep kept. */
  #sweep(now: number): void {
    if (this.size < this.#sweepAt) return;
    for (const [key, b] of this.buckets) if (tokensAt(b, now) >= b.limit.burst) this.buckets.delete(key);
    for (const [key, opensAt] of this.slots) if (lapsed(opensAt, now)) this.slots.delete(key);
    this.#sweepAt = Math.max(SWEEP_MIN, 2 * this.size);
  }
}

/** A slot left unused for longer than the margin after it opened (slotFor). */
function lapsed(opensAt: number, now: number): boolean {
  return now - opensAt > SLOT_MARGIN_MS;
}

/** The bucket's tokens refilled up to `now`, never above its burst. */
function tokensAt(b: Bucket, now: number): number {
  return Math.min(b.limit.burst, b.tokens + ((now - b.at) / 1000) * b.limit.ratePerS);
}

/**
 * Calls `fn` once `holder`'s slot for `action` on `scope` is open, else throws a BudgetWait (the
 * slot stays reserved for the next try). A 429 despite the budget drains the bucket for the time
 * Fly asked (another client shares the app, or our calls reached Fly late).
 */
export async function paced<T>(budget: RateBudget, holder: string, action: BudgetAction, scope: string, fn: () => Promise<T>): Promise<T> {
  const waitMs = budget.slotFor(holder, action, scope);
  if (waitMs > 0) throw new BudgetWait(waitMs);
  try {
    return await fn();
  } catch (e) {
    if (e instanceof MachinesApiError && e.kind === "rate_limited") budget.drain(action, scope, e.rateLimitWaitMs);
    throw e;
  }
}
