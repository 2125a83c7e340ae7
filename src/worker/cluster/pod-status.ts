import type { PodCondition, PodStatus } from "../../shared/k8s";
import type { MachineConfig } from "../../machines/machine-config";
import type { ObservedMachine } from "../translate/machine-to-pod-status";
import { machineToPodStatus } from "../translate/machine-to-pod-status";
import { rfc3339 } from "../translate/machine-events";
import type { PodRecord } from "./state";

/** Pod condition naming the Fly guest the pod was sized to (`kubectl describe pod` shows it). */
export const GUEST_CONDITION = "machinelet.fly.io/Guest";
/** Pod condition listing what the machine does not honour of the pod, each with its field path. */
export const UNHONOURED_CONDITION = "machinelet.fly.io/NotHonoured";
/** Pod condition saying the pod's machine was a stopped spare of its template, taken over instead of created. */
export const FROM_SPARE_CONDITION = "machinelet.fly.io/FromSpare";

/** The pod's status from what its row holds: the pod, the machine last observed, the problem, the status last published. */
export function podStatusOf(rec: PodRecord, now = new Date()): PodStatus {
  const previous = rec.status ?? undefined;
  const status = machineToPodStatus({
    pod: rec.pod,
    machine: observedMachine(rec),
    problem: rec.problem ?? undefined,
    previous,
    now: now.toISOString(),
  });
  const at = rfc3339(now.toISOString());
  const guest = rec.config?.guest;
  const unhonoured = rec.unhonoured;
  return withConditions(status, previous, at, [
    guest && { type: GUEST_CONDITION, reason: "GuestSized", message: guestName(guest) },
    unhonoured.length > 0 && { type: UNHONOURED_CONDITION, reason: "Unsupported", message: unhonoured.join("; ") },
    rec.machineSince !== null && { type: FROM_SPARE_CONDITION, reason: "ServedFromSpare", message: `machine ${rec.machineId} was a stopped spare of the pod's template, taken over with one update instead of a create` },
  ]);
}

function guestName(guest: NonNullable<MachineConfig["guest"]>): string {
  const gpu = guest.gpus ? `, ${guest.gpus}x ${guest.gpu_kind}` : "";
  return `${guest.cpu_kind ?? "shared"}-cpu-${guest.cpus ?? 1}x, ${guest.memory_mb ?? 256} MB${gpu}`;
}

/** The machine as last read, with the state recorded since (a start or destroy this worker issued). */
function observedMachine(rec: PodRecord): ObservedMachine | undefined {
  const m = (rec.lastMachine ?? undefined) as ObservedMachine | undefined;
  if (!rec.machineState) return m;
  return { ...m, state: rec.machineState };
}

/** Adds machinelet's own conditions (status True); a condition keeps its transition time while its message holds. */
function withConditions(status: PodStatus, previous: PodStatus | undefined, now: string, extra: Array<{ type: string; reason: string; message: string } | false | undefined>): PodStatus {
  const added: PodCondition[] = [];
  for (const c of extra) {
    if (!c) continue;
    const before = previous?.conditions?.find((p) => p.type === c.type);
    added.push({ ...c, status: "True", lastTransitionTime: before?.message === c.message ? before.lastTransitionTime : now });
  }
  const ours = new Set([GUEST_CONDITION, UNHONOURED_CONDITION, FROM_SPARE_CONDITION]);
  return { ...status, conditions: [...(status.conditions ?? []).filter((c) => !ours.has(c.type)), ...added] };
}
