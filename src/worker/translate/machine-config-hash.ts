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

const encoder = new TextEncoder();
const hex4 = (word: number) => word.toString(16).padStart(4, "0");

/**
 * FNV-1a 64 over the UTF-8 bytes, in four 16-bit words so every intermediate stays a small
 * integer (a BigInt per byte made this the costliest step of admitting a pod). The prime
 * 0x100000001b3 is 0x1b3 in word 0 and 0x100 in word 2; products are taken mod 2^64.
 */
export function fnv1a64(text: string): string {
  let h0 = 0x2325, h1 = 0x8422, h2 = 0x9ce4, h3 = 0xcbf2; // offset basis 0xcbf29ce484222325
  const bytes = encoder.encode(text);
  // An index, not for-of: an iterator's result objects are garbage per byte until the loop is optimized.
  for (let i = 0; i < bytes.length; i++) {
    h0 ^= bytes[i]!;
    const t0 = h0 * 0x1b3;
    const t1 = h1 * 0x1b3 + (t0 >>> 16);
    const t2 = h2 * 0x1b3 + h0 * 0x100 + (t1 >>> 16);
    const t3 = h3 * 0x1b3 + h1 * 0x100 + (t2 >>> 16);
    h0 = t0 & 0xffff;
    h1 = t1 & 0xffff;
    h2 = t2 & 0xffff;
    h3 = t3 & 0xffff;
  }
  return hex4(h3) + hex4(h2) + hex4(h1) + hex4(h0);
}
