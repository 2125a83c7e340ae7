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
  const d = desired as Record<string, unknown>;
  // for-in over a parsed JSON object (own keys only), not Object.entries: no [key, value] pair per key, 10,000 configs per adoption.
  for (const k in d) if (!carries(o[k], d[k])) return false;
  return true;
}

/**
 * For a machine adopted after a lost create (found by metadata): the hash of the config it
 * carries when that is the pod's config, else null so that the next step updates it.
 */
export function adoptedHash(pod: { config: unknown; configHash: string | null }, machineConfig: unknown): string | null {
  return pod.config !== null && !configDrifted(pod.config, machineConfig) ? pod.configHash : null;
}
