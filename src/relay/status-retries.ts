import type { FeedEntry } from "../shared/contract";
import { Backoff, type BackoffPolicy } from "./backoff";
import type { Logger } from "./log";

/** Statuses waiting for a retry; beyond this the oldest is given up (one per UID, so only with more pods than this). */
const RETRY_CAPACITY = 10_000;

interface Retry {
  entry: FeedEntry;
  backoff: Backoff;
  dueAt: number;
}

/**
 * The feed entries whose write failed for now (status-sync.ts): one per pod UID, in the order they
 * failed, each tried again with its own backoff until it is done or skipped, or a newer entry for
 * its UID replaces it (`drop`). Held in memory only.
 */
export class StatusRetries {
  readonly #retries = new Map<string, Retry>();

  constructor(
    private readonly policy: BackoffPolicy,
    private readonly log: Logger,
  ) {}

  /** A newer entry for the pod came: the one waiting is not tried again. */
  drop(uid: string): void {
    this.#retries.delete(uid);
  }

  defer(entry: FeedEntry): void {
    const backoff = new Backoff(this.policy);
    this.#retries.set(entry.uid, { entry, backoff, dueAt: Date.now() + backoff.next() });
    if (this.#retries.size <= RETRY_CAPACITY) return;
    const [uid, oldest] = this.#retries.entries().next().value!;
    this.#retries.delete(uid);
    this.log.warn("too many statuses waiting for a retry, the oldest is given up", { namespace: oldest.entry.namespace, name: oldest.entry.name, uid });
  }

  /** When the next retry is due; Infinity when none waits. */
  nextDueAt(): number {
    let dueAt = Infinity;
    for (const r of this.#retries.values()) dueAt = Math.min(dueAt, r.dueAt);
    return dueAt;
  }

  /** Tries each due entry with `apply` (true: done or skipped for good); the others back off. */
  async retryDue(apply: (entry: FeedEntry) => Promise<boolean>, stopped: () => boolean): Promise<void> {
    const now = Date.now();
    for (const [uid, r] of this.#retries) {
      if (stopped()) return;
      if (r.dueAt > now) continue;
      if (await apply(r.entry)) this.#retries.delete(uid);
      else r.dueAt = Date.now() + r.backoff.next();
    }
  }
}
