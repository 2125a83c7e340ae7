/**
 * Service ClusterIPs as a single-stack API server allocates them from its `--service-cidr`: the
 * first address is the `kubernetes` Service's, the rest go to Services in order, skipping any in
 * use. IPv4: K3s's default 10.43.0.0/16. IPv6: fd43::/112, the range machinelet's deployment gives
 * K3s (README, Services: an IPv6 single-stack cluster, like Fly's 6PN), so Services are IPv6 and
 * the EndpointSlice controller lists the pods' 6PN addresses.
 */
export type IpFamily = "IPv4" | "IPv6";

export const SERVICE_CIDR: Record<IpFamily, string> = { IPv4: "10.43.0.0/16", IPv6: "fd43::/112" };

const SIZE = 65_534;

export function serviceIp(family: IpFamily, n: number): string {
  return family === "IPv4" ? `10.43.${n >> 8}.${n & 255}` : `fd43::${n.toString(16)}`;
}

export class ServiceIps {
  #next = 2;

  constructor(
    readonly family: IpFamily,
    private readonly inUse: () => ReadonlySet<unknown>,
  ) {}

  /** The `kubernetes` Service's address. */
  get first(): string {
    return serviceIp(this.family, 1);
  }

  /** The next free address; undefined when the range is exhausted. */
  allocate(): string | undefined {
    const used = this.inUse();
    while (this.#next <= SIZE) {
      const n = this.#next++;
      // IPv4 skips addresses ending in .0 or .255 (as this stand-in always has; the API server does not need to).
      if (this.family === "IPv4" && ((n & 255) === 0 || (n & 255) === 255)) continue;
      const ip = serviceIp(this.family, n);
      if (!used.has(ip)) return ip;
    }
    return undefined;
  }
}
