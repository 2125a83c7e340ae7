import type { Pod } from "../../shared/k8s";
import type { MachineConfig } from "../../machines/machine-config";
import { machineConfigHash } from "../translate/machine-config-hash";
import { machineNameForPod } from "../translate/machine-name";
import { podToMachineConfig } from "../translate/pod-to-machine-config";

export interface TranslatedPod {
  machineName: string;
  region?: string;
  /** Absent when the pod cannot run as a machine (`error` says why). */
  config?: MachineConfig;
  configHash: string | null;
  /** What the machine will not honour; reported, never dropped silently. */
  unsupported: string[];
  error?: string;
}

/** The cluster's view of `podToMachineConfig`: the config plus the hash that decides whether the machine must change. */
export function translatePod(pod: Pod, cluster: string): TranslatedPod {
  const t = podToMachineConfig(pod, { cluster });
  const unsupported = [...t.unsupported, ...t.warnings];
  if (!t.ok) return { machineName: machineNameForPod(pod.metadata), configHash: null, unsupported, error: t.errors.join("; ") };
  return { machineName: t.name, region: t.region, config: t.config, configHash: machineConfigHash(t.config), unsupported };
}
