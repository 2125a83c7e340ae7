/** A token bucket: `rate` tokens per second refill up to `burst`. */
export interface Limit {
  rate: number;
  burst: number;
}

/**
 * Fly's documented limits (working-with-machines-api): per action, per machine (or per app when
 * the action has no machine), 1 req/s with bursts of 3; Get Machine 5 req/s with bursts of 10;
 * app deletions 100 per minute.
 */
export function limitFor(route: string): Limit {
  if (route === "GET /v1/apps/{app_name}/machines/{machine_id}") return { rate: 5, burst: 10 };
  if (route === "DELETE /v1/apps/{app_name}") return { rate: 100 / 60, burst: 100 };
  return { rate: 1, burst: 3 };
}

/** The identifier a limit is scoped to: the machine, else the app, else the whole token. */
export function limitScope(params: Record<string, string>): string {
  return params.machine_id ?? params.app_name ?? "*";
}

export class RateLimiter {
  private buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly now: () => number) {}

  /** Takes one token for `key`; false when the bucket is empty (answer 429). */
  take(key: string, limit: Limit): boolean {
    const now = this.now();
    const b = this.buckets.get(key) ?? { tokens: limit.burst, at: now };
    const tokens = Math.min(limit.burst, b.tokens + ((now - b.at) / 1000) * limit.rate);
    const ok = tokens >= 1;
    this.buckets.set(key, { tokens: ok ? tokens - 1 : tokens, at: now });
    return ok;
  }

  reset(): void {
    this.buckets.clear();
  }
}
