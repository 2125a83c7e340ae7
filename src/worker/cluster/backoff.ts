import { isMachinesApiError } from "../../machines/errors";

/** Capped exponential backoff with full jitter in [base/2, base]: 1 s, 2 s, 4 s ... up to 60 s. */
export function backoffMs(attempts: number, random: () => number = Math.random): number {
  const base = Math.min(60_000, 1_000 * 2 ** Math.min(attempts, 16));
  return Math.round(base / 2 + (random() * base) / 2);
}

/** When to try again after `e`: once the rate-limit token is back after a 429, else backoff by `attempts`. */
export function retryDelayMs(e: unknown, attempts: number): number {
  return isMachinesApiError(e, "rate_limited") ? e.rateLimitWaitMs : backoffMs(attempts);
}
