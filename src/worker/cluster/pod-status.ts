import type { Pod, PodStatus } from "../../shared/k8s";
import type { ObservedMachine } from "../translate/machine-to-pod-status";
import { machineToPodStatus } from "../translate/machine-to-pod-status";
import type { PodRow } from "./pod-store";
import { parseProblem } from "./converge";

/** The pod's status from what its row holds: the pod, the machine last observed, the problem, the status last written. */
export function podStatusOf(row: PodRow, now = new Date()): PodStatus {
  return machineToPodStatus({
    pod: JSON.parse(row.pod_json) as Pod,
    machine: observedMachine(row),
    problem: parseProblem(row) ?? undefined,
    previous: row.status_json ? (JSON.parse(row.status_json) as PodStatus) : undefined,
    now: now.toISOString(),
  });
}

/** The machine as last read, with the state recorded since (a start or destroy this worker issued). */
function observedMachine(row: PodRow): ObservedMachine | undefined {
  const m = row.machine_json ? (JSON.parse(row.machine_json) as ObservedMachine) : undefined;
  if (!row.machine_state) return m;
  return { ...m, state: row.machine_state };
}
