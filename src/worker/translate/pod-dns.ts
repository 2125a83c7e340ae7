import type { Pod } from "../../shared/k8s";
import type { DnsConfig } from "../../machines/machine-config";
import type { FindingsLog } from "./findings";
import { podHostname } from "./machine-name";

/** Where pods find the cluster DNS (worker configuration). */
export interface ClusterDns {
  /** Addresses of the cluster DNS servers, reachable from pod machines over 6PN. */
  nameservers: string[];
  /** The cluster domain, `cluster.local` unless configured otherwise. */
  domain: string;
}

const IP_LIKE = /^(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)$/;

/**
 * The worker's `CLUSTER_DNS` (comma-separated addresses) and `CLUSTER_DOMAIN` settings, or
 * undefined when no address is set. An entry that is not an IP address is an error naming it.
 */
export function clusterDnsFrom(settings: { CLUSTER_DNS?: string; CLUSTER_DOMAIN?: string }): ClusterDns | undefined {
  const nameservers = (settings.CLUSTER_DNS ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  const bad = nameservers.find((n) => !IP_LIKE.test(n));
  if (bad !== undefined) throw new Error(`CLUSTER_DNS: ${JSON.stringify(bad)} is not an IP address`);
  const domain = (settings.CLUSTER_DOMAIN ?? "").trim().replace(/\.$/, "") || "cluster.local";
  return nameservers.length ? { nameservers, domain } : undefined;
}

/** The kubelet's limits on a pod's resolv.conf (pkg/kubelet/network/dns). */
const MAX_NAMESERVERS = 3;
const MAX_SEARCHES = 32;
const MAX_SEARCH_CHARS = 2048;

/**
 * The machine's `dns` config as the kubelet would write the pod's resolv.conf:
 * - `ClusterFirst` (default; `ClusterFirstWithHostNet` is the same without host networking):
 *   the cluster DNS, search `<ns>.svc.<domain> svc.<domain> <domain>`, `ndots:5`; with no cluster
 *   DNS configured, like `Default` (the kubelet does the same);
 * - `Default`: Fly's resolver, untouched (the "node's" resolv.conf);
 * - `None`: nothing but `dnsConfig`.
 * `dnsConfig` is merged as the kubelet merges it: nameservers and searches appended without
 * duplicates, options replacing same-named ones; beyond 3 nameservers or 32 search domains the
 * rest are dropped (reported). Hostname: `spec.hostname` or the pod name; with `subdomain` the
 * FQDN is `<hostname>.<subdomain>.<ns>.svc.<domain>`.
 */
export function podDnsConfig(pod: Pick<Pod, "metadata" | "spec">, clusterDns: ClusterDns | undefined, log: FindingsLog): DnsConfig {
  const { spec, metadata } = pod;
  const policy = spec.dnsPolicy ?? "ClusterFirst";
  const hostname = podHostname(metadata.name, spec.hostname);
  let nameservers: string[] = [];
  let searches: string[] = [];
  let options: { name: string; value?: string }[] = [];
  if ((policy === "ClusterFirst" || policy === "ClusterFirstWithHostNet") && clusterDns) {
    const d = clusterDns.domain;
    nameservers = [...clusterDns.nameservers];
    searches = [`${metadata.namespace}.svc.${d}`, `svc.${d}`, d];
    options = [{ name: "ndots", value: "5" }];
  }
  const extra = spec.dnsConfig;
  for (const ns of extra?.nameservers ?? []) if (!nameservers.includes(ns)) nameservers.push(ns);
  for (const s of extra?.searches ?? []) if (!searches.includes(s)) searches.push(s);
  for (const o of extra?.options ?? []) {
    options = [...options.filter((x) => x.name !== o.name), { name: o.name, ...(o.value !== undefined ? { value: o.value } : {}) }];
  }
  if (nameservers.length > MAX_NAMESERVERS) {
    log.notHonoured("spec.dnsConfig.nameservers", `at most ${MAX_NAMESERVERS} nameservers are used; ${nameservers.slice(MAX_NAMESERVERS).join(", ")} dropped`);
    nameservers = nameservers.slice(0, MAX_NAMESERVERS);
  }
  searches = limitSearches(searches, log);
  const subdomain = spec.subdomain && clusterDns ? `${hostname}.${spec.subdomain}.${metadata.namespace}.svc.${clusterDns.domain}` : undefined;
  return {
    hostname,
    ...(subdomain ? { hostname_fqdn: subdomain } : {}),
    ...(nameservers.length ? { nameservers } : {}),
    ...(searches.length ? { searches } : {}),
    ...(options.length ? { options } : {}),
  };
}

function limitSearches(searches: string[], log: FindingsLog): string[] {
  const kept: string[] = [];
  let chars = 0;
  for (const s of searches) {
    if (kept.length === MAX_SEARCHES || chars + s.length + kept.length > MAX_SEARCH_CHARS) {
      log.notHonoured("spec.dnsConfig.searches", `at most ${MAX_SEARCHES} search domains of ${MAX_SEARCH_CHARS} characters are used; ${searches.slice(kept.length).join(", ")} dropped`);
      break;
    }
    kept.push(s);
    chars += s.length;
  }
  return kept;
}
