import type { Pod } from "../../shared/k8s";
import type { MachineConfig } from "../../machines/machine-config";
import type { Problem } from "../translate/machine-facts";
import { desiredMachineHash } from "../translate/machine-config-hash";
import { machineNameForPod } from "../translate/machine-name";
import type { TranslateContext } from "../translate/context";
import { podToMachineConfig } from "../translate/pod-to-machine-config";

export interface TranslatedPod {
  machineName: string;
  region: string | null;
  /** Absent when the pod cannot run as a machine, or not yet (`problem` says why). */
  config: MachineConfig | null;
  configHash: string | null;
  /** `min_secrets_version` for create and update (0: the pod uses no secret). */
  minSecretsVersion: number;
  /** terminal: the pod can never run as it stands; not terminal: it waits for a Secret, ConfigMap, key or Volume */
  problem: Problem | null;
  /** What the machine will not honour; reported, never dropped silently. */
  unsupported: string[];
}

/**
 * The cluster's view of `podToMachineConfig`: the config plus the hash that decides whether the
 * machine must change. The hash covers the secrets version too, so a rotated value the pod uses
 * changes it, and the machine is updated (Fly machines only see new values after an update).
 */
export function translatePod(pod: Pod, ctx: TranslateContext): TranslatedPod {
  const t = podToMachineConfig(pod, ctx);
  const unsupported = [...t.unsupported, ...t.warnings];
  const base = { machineName: machineNameForPod(pod.metadata), unsupported };
  if (!t.ok) {
    const problem: Problem = t.errors.length
      ? { reason: "Unsupported", message: t.errors.join("; "), terminal: true }
      : { reason: t.waiting[0]!.reason, message: t.waiting.map((w) => w.message).join("; "), terminal: false };
    return { ...base, region: null, config: null, configHash: null, minSecretsVersion: 0, problem };
  }
  return { ...base, machineName: t.name, region: t.region ?? null, config: t.config, configHash: desiredMachineHash(t.config, t.minSecretsVersion), minSecretsVersion: t.minSecretsVersion, problem: null };
}
