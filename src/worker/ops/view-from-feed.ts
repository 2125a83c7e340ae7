import type { FeedEntry } from "../cluster/status-feed";
import type { PodStatus } from "../../shared/k8s";
import { POD_PHASES, type ClusterStatusView, type PodPhase, type PodRowView } from "./status-view";

const GUEST_CONDITION = "machinelet.fly.io/Guest";

/**
 * The view as far as the contract's status feed tells it (every pod's current PodStatus). Used
 * until the cluster object answers `statusView()` itself; what the feed does not carry (machine
 * state, region, queues, passes, decisions) stays empty.
 */
export function viewFromFeed(cluster: string, app: string, pods: readonly FeedEntry[], now = new Date()): ClusterStatusView {
  return {
    cluster,
    generatedAt: now.toISOString(),
    app: { name: app, ready: true, error: null },
    pods: pods.filter((p) => !p.gone).map((p) => podRowFromStatus(p.uid, p.namespace, p.name, p.status as PodStatus)),
    waiting: { budgets: [], retries: [] },
    passes: [],
    decisions: [],
    services: [],
    secrets: [],
    volumes: [],
  };
}

export function podRowFromStatus(uid: string, namespace: string, name: string, status: PodStatus): PodRowView {
  const containers = status.containerStatuses ?? [];
  const machineId = containers.map((c) => /^fly:\/\/(.+)$/.exec(c.containerID ?? "")?.[1]).find(Boolean) ?? null;
  const phase = (POD_PHASES as readonly string[]).includes(status.phase ?? "") ? (status.phase as PodPhase) : "Unknown";
  const waiting = containers.map((c) => c.state?.waiting ?? c.state?.terminated).find((s) => s?.reason && s.reason !== "Completed");
  const reason = status.reason ?? waiting?.reason;
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
    problem: reason ? { reason, message: status.message ?? waiting?.message ?? "" } : null,
    createdAt: status.startTime ?? null,
  };
}
