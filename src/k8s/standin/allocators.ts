/**
 * What the K8s stand-in (staging and tests only) allocates on create, as the API server does:
 * `generateName` suffixes (names.SimpleNameGenerator) and Service ClusterIPs and NodePorts.
 */
import { ApiError } from "./api-errors";
import type { JsonObject } from "./k8s-object";
import { isJsonObject } from "./k8s-object";
import { SERVICE_CIDR, ServiceIps, type IpFamily } from "./service-ips";
import type { WriteContext } from "./strategy";

const GENERATED_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

function generatedSuffix(): string {
  let suffix = "";
  for (let i = 0; i < 5; i++) suffix += GENERATED_NAME_ALPHABET.charAt(Math.floor(Math.random() * GENERATED_NAME_ALPHABET.length));
  return suffix;
}

/** `generateName` plus a random suffix, drawn again while `taken` says the name is in use. */
export function generateName(prefix: string, taken: (name: string) => boolean): string {
  let name: string;
  do name = prefix + generatedSuffix();
  while (taken(name));
  return name;
}

/** ClusterIPs from the service CIDR and NodePorts from 30000-32767, skipping those the stored Services hold. */
export class ServiceAllocator {
  private nextNodePort = 30000;
  readonly ips: ServiceIps;

  constructor(
    family: IpFamily,
    private readonly serviceSpecs: () => JsonObject[],
  ) {
    this.ips = new ServiceIps(family, () => new Set(this.serviceSpecs().map((spec) => spec.clusterIP)));
  }

  writeContext(): WriteContext {
    return {
      serviceFamily: this.ips.family,
      allocateClusterIP: () => {
        const ip = this.ips.allocate();
        if (!ip) throw new ApiError(500, "InternalError", `the service ClusterIP range ${SERVICE_CIDR[this.ips.family]} is exhausted`);
        return ip;
      },
      allocateNodePort: () => this.allocateNodePort(),
    };
  }

  private allocateNodePort(): number {
    const used = new Set(
      this.serviceSpecs().flatMap((spec) => (Array.isArray(spec.ports) ? spec.ports.filter(isJsonObject).map((p) => p.nodePort) : [])),
    );
    for (;;) {
      const port = this.nextNodePort++;
      if (port > 32_767) throw new ApiError(500, "InternalError", "the NodePort range 30000-32767 is exhausted");
      if (!used.has(port)) return port;
    }
  }
}
