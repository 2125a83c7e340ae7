import type { ClusterStatusView } from "./status-view";
import { viewFromFeed, type FeedPod } from "./view-from-feed";

export const CLUSTER_NAME = /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/;

/** The clusters the page lists and `/metrics` reports when not told which (var CLUSTERS, comma-separated). */
export function configuredClusters(env: Pick<Env, "CLUSTERS">): string[] {
  return (env.CLUSTERS ?? "").split(",").map((s) => s.trim()).filter((s) => CLUSTER_NAME.test(s));
}

/** One cluster's view, read from its Durable Object. */
export async function clusterView(env: Env, cluster: string): Promise<ClusterStatusView> {
  // RPC typing cannot see through `status: unknown`; the shape is the feed page (structured clone).
  const page = (await env.CLUSTER.getByName(cluster).statusFeed(cluster, 0, 0)) as unknown as { pods: FeedPod[] };
  const app = (env.APP_NAME_TEMPLATE ?? "fks-{cluster}").replace("{cluster}", cluster);
  return viewFromFeed(cluster, app, page.pods);
}
