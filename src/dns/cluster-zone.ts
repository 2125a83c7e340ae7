import { isIP } from "node:net";
import { isHeadless, podIsReady, selectedPods, SERVICE_ADDRESS_ANNOTATION, type Pod, type Service } from "../shared/k8s";

/** What a cluster DNS name holds. */
export interface NameRecords {
  a: string[];
  aaaa: string[];
  cname?: string;
  srv: { priority: number; weight: number; port: number; target: string }[];
}

/** A pod as the DNS needs it (a stored Pod fits). */
export type DnsPod = Pick<Pod, "metadata" | "status"> & { spec: Pick<Pod["spec"], "hostname" | "subdomain"> };

const empty = (): NameRecords => ({ a: [], aaaa: [], srv: [] });
const lower = (name: string) => name.toLowerCase().replace(/\.$/, "");

/**
 * The cluster's DNS names at one moment, built from Services and pods the way the Kubernetes DNS
 * specification (kubernetes/dns `docs/specification.md`) lays them out under `domain`:
 * - a Service with an address: `<svc>.<ns>.svc.<domain>` -> its Fly address (the annotation
 *   `machinelet.fly.io/address`; a Service still without one has no records yet), and
 *   `_<port>._<proto>.<svc>.<ns>.svc.<domain>` SRV for each named port;
 * - a headless Service: the same name -> the IPs of the Ready pods it selects (every selected pod
 *   with `publishNotReadyAddresses`), and `<hostname>.<svc>.<ns>.svc.<domain>` for each such pod
 *   whose `spec.subdomain` names the Service (StatefulSet pods);
 * - an ExternalName Service: a CNAME to `spec.externalName`.
 * Names that exist only as parents (`<ns>.svc.<domain>`) answer NODATA, not NXDOMAIN.
 */
export class ClusterZone {
  private readonly names = new Map<string, NameRecords>();
  private readonly parents = new Set<string>();

  constructor(
    readonly domain: string,
    services: Iterable<Service>,
    pods: Iterable<DnsPod>,
  ) {
    this.domain = lower(domain);
    const podList = [...pods];
    for (const svc of services) this.addService(svc, podList);
  }

  /** Records of a fully qualified name, or undefined when the name does not exist. */
  lookup(name: string): NameRecords | undefined {
    const n = lower(name);
    return this.names.get(n) ?? (this.parents.has(n) || n === this.domain ? empty() : undefined);
  }

  /** True when `name` is the cluster domain or under it (the zone answers authoritatively). */
  owns(name: string): boolean {
    const n = lower(name);
    return n === this.domain || n.endsWith(`.${this.domain}`);
  }

  private record(name: string): NameRecords {
    let r = this.names.get(name);
    if (!r) {
      r = empty();
      this.names.set(name, r);
      for (let rest = name.slice(name.indexOf(".") + 1); rest.length > this.domain.length; rest = rest.slice(rest.indexOf(".") + 1)) this.parents.add(rest);
    }
    return r;
  }

  private addAddress(name: string, ip: string): void {
    const r = this.record(name);
    const family = isIP(ip);
    if (family === 4 && !r.a.includes(ip)) r.a.push(ip);
    if (family === 6 && !r.aaaa.includes(ip)) r.aaaa.push(ip);
  }

  private addService(svc: Service, pods: DnsPod[]): void {
    const { name: svcName, namespace } = svc.metadata;
    const fqdn = lower(`${svcName}.${namespace}.svc.${this.domain}`);
    if (svc.spec?.type === "ExternalName") {
      if (svc.spec.externalName) this.record(fqdn).cname = lower(svc.spec.externalName);
      return;
    }
    const named = (svc.spec?.ports ?? []).filter((p) => p.name);
    if (!isHeadless(svc)) {
      const address = svc.metadata.annotations?.[SERVICE_ADDRESS_ANNOTATION];
      if (!address || !isIP(address)) return;
      this.addAddress(fqdn, address);
      for (const p of named) this.srv(p, fqdn, fqdn);
      return;
    }
    const publishAll = svc.spec?.publishNotReadyAddresses === true;
    this.record(fqdn);
    for (const pod of selectedPods(svc, pods)) {
      if (!publishAll && !podIsReady(pod)) continue;
      const ips = podIps(pod);
      for (const ip of ips) this.addAddress(fqdn, ip);
      const host = pod.spec.subdomain === svcName && pod.spec.hostname ? lower(`${pod.spec.hostname}.${fqdn}`) : undefined;
      if (host) for (const ip of ips) this.addAddress(host, ip);
      if (host) for (const p of named) this.srv(p, fqdn, host);
    }
  }

  private srv(port: NonNullable<NonNullable<Service["spec"]>["ports"]>[number], fqdn: string, target: string): void {
    const name = lower(`_${port.name}._${(port.protocol ?? "TCP").toLowerCase()}.${fqdn}`);
    this.record(name).srv.push({ priority: 0, weight: 100, port: port.port, target });
  }
}

function podIps(pod: DnsPod): string[] {
  const ips = pod.status?.podIPs?.map((p) => p.ip) ?? (pod.status?.podIP ? [pod.status.podIP] : []);
  return ips.filter((ip): ip is string => typeof ip === "string" && isIP(ip) !== 0);
}
