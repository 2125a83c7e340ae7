/**
 * Classified Machines API failures. Callers act on `kind`, never on raw status codes:
 * - `not_found`     404: the app/machine/volume does not exist (for destroy: already done).
 * - `conflict`      409: stale `current_version`, lease held by another, racing operation.
 * - `precondition`  412: wrong state for the operation (e.g. start from `created`), stale metadata version.
 * - `rate_limited`  429: wait `retryAfterMs` before the same action on the same machine/app.
 * - `transient`     5xx, 408, network failure, request timeout: safe to retry later. A 408 or timeout
 *                   on a create may have created the machine (`mayHaveSucceeded`): look it up first.
 * - `unauthorized`  401/403: the token is wrong; retrying will not help.
 * - `invalid`       any other 4xx: the request itself is wrong; `message` is Fly's.
 */
export type MachinesErrorKind =
  | "not_found"
  | "conflict"
  | "precondition"
  | "rate_limited"
  | "transient"
  | "unauthorized"
  | "invalid";

export class MachinesApiError extends Error {
  override readonly name = "MachinesApiError";
  constructor(
    readonly kind: MachinesErrorKind,
    message: string,
    readonly status: number | undefined,
    readonly operation: string,
    /** For `rate_limited`: how long to wait before trying this action again. */
    readonly retryAfterMs?: number,
    /** Fly's `status` field (e.g. `insufficient_capacity`, `name_taken`), when the body had one. */
    readonly flyStatus?: string,
  ) {
    super(message);
  }

  /** For `rate_limited`: how long to wait before the same action again (Fly's Retry-After when it sends one, else one token's refill). */
  get rateLimitWaitMs(): number {
    return this.retryAfterMs ?? DEFAULT_RATE_LIMIT_WAIT_MS;
  }

  /** True when the request may have taken effect although it failed (408 / timeout / network error on a mutation). */
  get mayHaveSucceeded(): boolean {
    return this.kind === "transient";
  }
}

/** Fly documents no Retry-After; 1 s is its sustained per-action rate, so one token is back after that. */
export const DEFAULT_RATE_LIMIT_WAIT_MS = 1_000;

export function classifyStatus(status: number): MachinesErrorKind {
  if (status === 404) return "not_found";
  if (status === 409) return "conflict";
  if (status === 412) return "precondition";
  if (status === 429) return "rate_limited";
  if (status === 401 || status === 403) return "unauthorized";
  if (status === 408 || status >= 500) return "transient";
  return "invalid";
}

export function isMachinesApiError(e: unknown, kind?: MachinesErrorKind): e is MachinesApiError {
  return e instanceof MachinesApiError && (kind === undefined || e.kind === kind);
}
