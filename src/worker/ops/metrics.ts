import { formatFamilies, type Family } from "./prometheus-text";
import { POD_PHASES, podsByPhase, type ClusterStatusView } from "./status-view";

/** The worker's `/metrics` families for the given clusters' views (see the README's metrics table). */
export function clusterFamilies(views: readonly ClusterStatusView[]): Family[] {
  const machines = (v: ClusterStatusView) => {
    const byState = new Map<string, number>();
    for (const p of v.pods) if (p.machineId) byState.set(p.machineState ?? "unknown", (byState.get(p.machineState ?? "unknown") ?? 0) + 1);
    return [...byState].map(([state, n]) => ({ labels: { cluster: v.cluster, state }, value: n }));
  };
  return [
    {
      name: "machinelet_pods",
      help: "Pods known to the worker, by cluster and phase.",
      type: "gauge",
      samples: views.flatMap((v) => {
        const counts = podsByPhase(v.pods);
        return POD_PHASES.map((phase) => ({ labels: { cluster: v.cluster, phase }, value: counts[phase] }));
      }),
    },
    {
      name: "machinelet_machines",
      help: "Machines owned by the cluster's pods, by cluster and last observed state.",
      type: "gauge",
      samples: views.flatMap(machines),
    },
    {
      name: "machinelet_pods_with_problem",
      help: "Pods whose status names a problem, by cluster and reason.",
      type: "gauge",
      samples: views.flatMap((v) => {
        const byReason = new Map<string, number>();
        for (const p of v.pods) if (p.problem) byReason.set(p.problem.reason, (byReason.get(p.problem.reason) ?? 0) + 1);
        return [...byReason].map(([reason, n]) => ({ labels: { cluster: v.cluster, reason }, value: n }));
      }),
    },
  ];
}

export const renderMetrics = (views: readonly ClusterStatusView[]) => formatFamilies(clusterFamilies(views));
