import { KubeApi, loadKubeConfig } from "../relay/kube-api";
import type { Logger } from "../relay/log";
import { KubeDnsSource } from "./kube-source";
import { startDnsServer, type RunningDnsServer } from "./server";
import { forwardQuery, type Upstream } from "./upstream";

export interface ClusterDnsOptions {
  /** Undefined: in-cluster config, else the default kubeconfig. */
  kubeconfigPath?: string;
  inCluster?: boolean;
  host: string;
  port: number;
  /** Default `cluster.local`. */
  domain?: string;
  /** Where other names go: Fly's resolver on Fly (`[fdaa::3]:53`), the host's elsewhere. */
  upstream: Upstream;
  /** Whose search path a short name asked directly is expanded with. Default `default`. */
  searchNamespace?: string;
  log: Logger;
}

export interface ClusterDns extends RunningDnsServer {
  readonly source: KubeDnsSource;
}

const TTL_S = 5;

/** The cluster DNS: names from the API server's Services and pods, answered on `host`:`port` over UDP and TCP. */
export async function startClusterDns(opts: ClusterDnsOptions): Promise<ClusterDns> {
  const kc = loadKubeConfig({ kubeconfigPath: opts.kubeconfigPath, inCluster: opts.inCluster ?? false });
  const source = new KubeDnsSource({ api: new KubeApi(kc, 30_000), log: opts.log, domain: opts.domain ?? "cluster.local" });
  source.start();
  try {
    const server = await startDnsServer({
      host: opts.host,
      port: opts.port,
      zone: () => source.zone(),
      searchNamespace: opts.searchNamespace ?? "default",
      ttl: TTL_S,
      forward: (query, overTcp) => forwardQuery(opts.upstream, query, overTcp),
    });
    return {
      ...server,
      source,
      close: async () => {
        await server.close();
        await source.stop();
      },
    };
  } catch (e) {
    await source.stop();
    throw e;
  }
}
