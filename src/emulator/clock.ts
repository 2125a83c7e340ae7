/**
 * The emulator's notion of "now": wall time plus an offset that `POST /_emulator/clock` can advance,
 * so lease expiry, rate-limit refill and the restart window can be tested without sleeping.
 * Lifecycle timers (boot, transitions) run on real time.
 */
export class Clock {
  private offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
  reset(): void {
    this.offsetMs = 0;
  }
}

/** Tracks every pending timer so reset and shutdown can cancel them all. */
export class Timers {
  private readonly pending = new Set<ReturnType<typeof setTimeout>>();

  after(ms: number, fn: () => void): ReturnType<typeof setTimeout> {
    const handle = setTimeout(() => {
      this.pending.delete(handle);
      fn();
    }, ms);
    this.pending.add(handle);
    return handle;
  }

  cancel(handle: ReturnType<typeof setTimeout> | undefined): void {
    if (handle === undefined) return;
    clearTimeout(handle);
    this.pending.delete(handle);
  }

  cancelAll(): void {
    for (const h of this.pending) clearTimeout(h);
    this.pending.clear();
  }
}

/** RFC 3339 with second precision, as Fly prints `created_at`/`updated_at`. */
export const rfc3339 = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
