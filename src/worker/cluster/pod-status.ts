import type { Pod, PodCondition, PodStatus } from "../../shared/k8s";
import type { MachineConfig } from "../translate/machine-config";
import type { ObservedMachine } from "../translate/machine-to-pod-status";
import { machineToPodStatus } from "../translate/machine-to-pod-status";
import { rfc3339 } from "../translate/machine-events";
import type { PodRow } from "./pod-store";
import { parseProblem } from "./converge";

/** Pod condition naming the Fly guest the pod was sized to (`kubectl describe pod` shows it). */
export const GUEST_CONDITION = "machinelet.fly.io/Guest";

/** The pod's status from what its row holds: the pod, the machine last observed, the problem, the status last written. */
export function podStatusOf(row: PodRow, now = new Date()): PodStatus {
  const previous = row.status_json ? (JSON.parse(row.status_json) as PodStatus) : undefined;
  const status = machineToPodStatus({
    pod: JSON.parse(row.pod_json) as Pod,
    machine: observedMachine(row),
    problem: parseProblem(row) ?? undefined,
    previous,
    now: now.toISOString(),
  });
  return withGuest(status, row, previous, rfc3339(now.toISOString()));
}

/** The machine as last read, with the state recorded since (a start or destroy this worker issued). */
function observedMachine(row: PodRow): ObservedMachine | undefined {
  const m = row.machine_json ? (JSON.parse(row.machine_json) as ObservedMachine) : undefined;
  if (!row.machine_state) return m;
  return { ...m, state: row.machine_state };
}

function withGuest(status: PodStatus, row: PodRow, previous: PodStatus | undefined, now: string): PodStatus {
  const guest = row.config_json ? (JSON.parse(row.config_json) as MachineConfig).guest : undefined;
  if (!guest) return status;
  const gpu = guest.gpus ? `, ${guest.gpus}x ${guest.gpu_kind}` : "";
  const message = `${guest.cpu_kind ?? "shared"}-cpu-${guest.cpus ?? 1}x, ${guest.memory_mb ?? 256} MB${gpu}`;
  const before = previous?.conditions?.find((c) => c.type === GUEST_CONDITION);
  const condition: PodCondition = {
    type: GUEST_CONDITION,
    status: "True",
    reason: "GuestSized",
    message,
    lastTransitionTime: before?.message === message ? before.lastTransitionTime : now,
  };
  return { ...status, conditions: [...(status.conditions ?? []).filter((c) => c.type !== GUEST_CONDITION), condition] };
}
