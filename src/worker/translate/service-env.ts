import { isHeadless, type Pod, type Service } from "../../shared/k8s";
import type { TranslateContext } from "./context";
import type { FindingsLog } from "./findings";

/** The Service's Fly address, or undefined while it has none. */
export type ServiceAddressOf = (service: Service) => string | undefined;

const envName = (s: string) => s.replace(/-/g, "_").toUpperCase();
const hostPort = (ip: string, port: number) => (ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`);

/**
 * The variables the kubelet injects for the Services of a pod's namespace
 * (pkg/kubelet/envvars `FromServices`), with each Service's Fly address as its cluster IP:
 * `<SVC>_SERVICE_HOST`, `<SVC>_SERVICE_PORT` (first port), `<SVC>_SERVICE_PORT_<NAME>` (named
 * ports), and the Docker-link forms `<SVC>_PORT`, `<SVC>_PORT_<port>_<PROTO>{,_PROTO,_PORT,_ADDR}`.
 * Only Services that exist when the pod is created and have an address (not headless, not
 * ExternalName); none at all when `enableServiceLinks` is false (the kubelet then still adds the
 * API server's `kubernetes` Service, which has no Fly address here). Variables the container sets
 * itself take precedence (the caller merges them over these).
 */
export function serviceEnvVars(pod: { metadata: { namespace: string }; spec: { enableServiceLinks?: boolean } }, services: Iterable<Service>, addressOf: ServiceAddressOf): Record<string, string> {
  const env: Record<string, string> = {};
  if (pod.spec.enableServiceLinks === false) return env;
  const inNamespace = [...services]
    .filter((s) => s.metadata.namespace === pod.metadata.namespace && s.spec?.type !== "ExternalName" && !isHeadless(s) && (s.spec?.ports?.length ?? 0) > 0)
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  for (const svc of inNamespace) {
    const ip = addressOf(svc);
    if (!ip) continue;
    const prefix = envName(svc.metadata.name);
    const ports = svc.spec!.ports!;
    env[`${prefix}_SERVICE_HOST`] = ip;
    env[`${prefix}_SERVICE_PORT`] = String(ports[0]!.port);
    for (const p of ports) if (p.name) env[`${prefix}_SERVICE_PORT_${envName(p.name)}`] = String(p.port);
    ports.forEach((p, i) => {
      const proto = (p.protocol ?? "TCP").toLowerCase();
      const url = `${proto}://${hostPort(ip, p.port)}`;
      if (i === 0) env[`${prefix}_PORT`] = url;
      const portPrefix = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
      env[portPrefix] = url;
      env[`${portPrefix}_PROTO`] = proto;
      env[`${portPrefix}_PORT`] = String(p.port);
      env[`${portPrefix}_ADDR`] = ip;
    });
  }
  return env;
}

/** True when the Service existed when the pod was created (the kubelet's view at the pod's first start). */
function existedBefore(svc: Service, pod: Pick<Pod, "metadata">): boolean {
  const made = svc.metadata.creationTimestamp;
  const podMade = pod.metadata.creationTimestamp;
  return made == null || podMade == null || made <= podMade;
}

/**
 * The Service variables of a pod: those of the addressed Services of its namespace that existed
 * when it was created (so a later Service never changes, and restarts, a running pod's machine).
 * Such a Service whose Fly address is not made yet makes the pod wait for it (ContainerCreating):
 * the kubelet would have had its cluster IP. None without `enableServiceLinks` or the lookups.
 */
export function podServiceEnv(pod: Pod, ctx: TranslateContext, log: FindingsLog): Record<string, string> {
  const { services, serviceAddress } = ctx;
  if (!services || !serviceAddress || pod.spec.enableServiceLinks === false) return {};
  const namespace = pod.metadata.namespace ?? "default";
  const existing = services(namespace).filter((s) => existedBefore(s, pod));
  for (const svc of existing) {
    if (serviceAddress(svc) === "pending") log.wait("ContainerCreating", `Service ${namespace}/${svc.metadata.name} has no Fly address yet (its variables go into the pod's environment; enableServiceLinks: false does without)`);
  }
  return serviceEnvVars({ metadata: { namespace }, spec: pod.spec }, existing, (svc) => {
    const address = serviceAddress(svc);
    return address === "pending" ? undefined : address;
  });
}
