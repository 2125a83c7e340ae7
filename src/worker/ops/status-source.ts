import type { ClusterStatusView } from "./status-view";
import type { CounterSample } from "../cluster/state";

export const CLUSTER_NAME = /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/;

/** The clusters the page lists and `/metrics` reports when not told which (var CLUSTERS, comma-separated). */
export function configuredClusters(env: Pick<Env, "CLUSTERS">): string[] {
  return (env.CLUSTERS ?? "").split(",").map((s) => s.trim()).filter((s) => CLUSTER_NAME.test(s));
}

/** One cluster's view, read by its Durable Object from its stores. */
export async function clusterView(env: Env, cluster: string): Promise<ClusterStatusView> {
  return (await env.CLUSTER.getByName(cluster).statusView(cluster)) as ClusterStatusView;
}

export interface ClusterMetrics {
  view: ClusterStatusView;
  counters: CounterSample[];
  feedLagSeconds: number;
}

export async function clusterMetrics(env: Env, cluster: string): Promise<ClusterMetrics> {
  const stub = env.CLUSTER.getByName(cluster);
  const [view, ops] = await Promise.all([stub.statusView(cluster), stub.opsMetrics(cluster)]);
  return { view: view as ClusterStatusView, ...(ops as { counters: CounterSample[]; feedLagSeconds: number }) };
}
