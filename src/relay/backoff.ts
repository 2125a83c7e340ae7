/** Retry delays and cancellable sleeps shared by the relay's loops. */

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/**
 * Exponential backoff with "equal jitter": attempt 0 waits about `baseMs`, each further attempt
 * doubles it up to `maxMs`; the delay is uniformly drawn from [half, full] of that value so that
 * restarted informers and retried requests do not synchronise.
 */
export class Backoff {
  private attempt = 0;
  constructor(private readonly policy: BackoffPolicy) {}

  next(): number {
    const full = Math.min(this.policy.maxMs, this.policy.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return full / 2 + Math.random() * (full / 2);
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
