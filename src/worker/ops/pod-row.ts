import type { PodStatus } from "../../shared/k8s";
import { POD_PHASES, type PodPhase, type PodRowView } from "./status-view";

const GUEST_CONDITION = "machinelet.fly.io/Guest";

/** What a pod's published status says of the row: phase, machine, IPv6, guest, restarts, the failure. */
export function podRowFromStatus(uid: string, namespace: string, name: string, status: PodStatus): PodRowView {
  const containers = status.containerStatuses ?? [];
  const machineId = containers.map((c) => /^fly:\/\/(.+)$/.exec(c.containerID ?? "")?.[1]).find(Boolean) ?? null;
  const phase = (POD_PHASES as readonly string[]).includes(status.phase ?? "") ? (status.phase as PodPhase) : "Unknown";
  const waiting = containers.map((c) => c.state?.waiting).find((s) => s?.reason);
  const failed = containers.map((c) => c.state?.terminated).find((s) => s && s.exitCode !== 0);
  const reason = status.reason ?? waiting?.reason ?? failed?.reason;
  const message = status.message ?? waiting?.message ?? failed?.message ?? (failed ? `exit code ${failed.exitCode}` : "");
  return {
    uid,
    namespace,
    name,
    phase,
    machineId,
    machineState: null,
    region: null,
    guest: status.conditions?.find((c) => c.type === GUEST_CONDITION)?.message ?? null,
    ipv6: status.podIPs?.map((i) => i.ip).find((ip) => ip.includes(":")) ?? status.podIP ?? null,
    restarts: containers.reduce((n, c) => n + (c.restartCount ?? 0), 0),
    problem: reason ? { reason, message } : null,
    createdAt: status.startTime ?? null,
  };
}
