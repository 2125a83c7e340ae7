/**
 * True when `observed` no longer carries what `desired` asked for. Only the keys machinelet
 * set are compared: Fly fills in defaults and extra fields of its own, which are not drift.
 */
export function configDrifted(desired: unknown, observed: unknown): boolean {
  return !carries(observed, desired);
}

function carries(observed: unknown, desired: unknown): boolean {
  if (desired === undefined) return true;
  if (desired === null || typeof desired !== "object") return observed === desired;
  if (Array.isArray(desired)) {
    return Array.isArray(observed) && observed.length === desired.length && desired.every((d, i) => carries(observed[i], d));
  }
  if (observed === null || typeof observed !== "object" || Array.isArray(observed)) return false;
  const o = observed as Record<string, unknown>;
  return Object.entries(desired as Record<string, unknown>).every(([k, v]) => carries(o[k], v));
}
