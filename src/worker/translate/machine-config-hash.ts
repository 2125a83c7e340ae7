import type { MachineConfig } from "../../machines/machine-config";

/**
 * A fingerprint of a Machine config: FNV-1a (64-bit) over its canonical JSON (object keys
 * sorted, `undefined` members dropped, array order kept), as 16 hex digits. Equal configs hash
 * equal however their keys were ordered, so a changed hash means a change the Machine must get.
 */
export function machineConfigHash(config: MachineConfig): string {
  return fnv1a64(canonicalJson(config));
}

/**
 * What decides whether a Machine must be updated: its config, and the secrets version it must see
 * (`min_secrets_version`), since new secret values reach a Machine only through an update. Equal
 * to `machineConfigHash(config)` for a pod that uses no secret.
 */
export function desiredMachineHash(config: MachineConfig, minSecretsVersion: number): string {
  return minSecretsVersion > 0 ? fnv1a64(`${canonicalJson(config)}\nmin_secrets_version=${minSecretsVersion}`) : machineConfigHash(config);
}

/** JSON with object keys in sorted order at every level. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK = (1n << 64n) - 1n;

function fnv1a64(text: string): string {
  let h = FNV_OFFSET;
  for (const byte of new TextEncoder().encode(text)) h = ((h ^ BigInt(byte)) * FNV_PRIME) & MASK;
  return h.toString(16).padStart(16, "0");
}
