import { createLogger } from "../relay/log";
import { startClusterDns } from "./cluster-dns";
import { parseUpstream, systemUpstream } from "./upstream";

/**
 * `npx tsx src/dns/main.ts`: the cluster DNS as a program of its own, configured by environment:
 * `DNS_LISTEN` (`host:port` or `[v6]:port`, default `[::]:53`), `DNS_DOMAIN` (`cluster.local`),
 * `DNS_UPSTREAM` (default: the first nameserver of /etc/resolv.conf, which on a Fly Machine is
 * Fly's resolver), `DNS_SEARCH_NAMESPACE` (`default`), `DNS_KUBECONFIG` (else in-cluster config).
 */
const log = createLogger({ fields: { component: "cluster-dns" } });
try {
  const listen = parseUpstream(process.env.DNS_LISTEN ?? "[::]:53");
  const dns = await startClusterDns({
    kubeconfigPath: process.env.DNS_KUBECONFIG || undefined,
    inCluster: !process.env.DNS_KUBECONFIG,
    host: listen.host,
    port: listen.port,
    domain: process.env.DNS_DOMAIN || "cluster.local",
    upstream: process.env.DNS_UPSTREAM ? parseUpstream(process.env.DNS_UPSTREAM) : systemUpstream(),
    searchNamespace: process.env.DNS_SEARCH_NAMESPACE || "default",
    log,
  });
  log.info("cluster dns listening", { host: dns.host, port: dns.port });
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void dns.close().then(() => process.exit(0)));
} catch (e) {
  log.error("cluster dns failed to start", { error: e instanceof Error ? e.message : String(e) });
  process.exit(1);
}
