import { isHeadless, selectorMatches, type Container, type Pod, type Service, type ServicePort } from "../../shared/k8s";
import type { MachineService, MachineServiceCheck } from "../../machines/machine-config";
import { FindingsLog } from "./findings";
import { probeOf, probeToMachineCheck } from "./probes";
import { flyConcurrency } from "./service-annotations";

/**
 * The cluster app's port that stands for one Service port: unique across the cluster app and
 * stable for the life of the Service port (allocated and stored by the worker). Undefined while
 * none is allocated yet.
 */
export type AppPortOf = (service: Service, port: ServicePort) => number | undefined;

export interface PodBackends {
  /** The pod machine's `services` entries, one per Service port it backs, ordered by app port. */
  services: MachineService[];
  /** Service ports the pod is selected for but cannot back (named targetPort it lacks, not TCP). */
  findings: string[];
}

/** True when `service` sends traffic to `pod` through Fly Proxy (headless and ExternalName Services do not). */
export function proxiesTo(service: Service, pod: Pick<Pod, "metadata">): boolean {
  const selector = service.spec?.selector;
  if (!selector || Object.keys(selector).length === 0 || isHeadless(service) || service.spec?.type === "ExternalName") return false;
  return service.metadata.namespace === pod.metadata.namespace && selectorMatches(selector, pod.metadata.labels);
}

/**
 * The `services` entries a pod's machine carries so that the cluster app's Flycast address, at
 * each selecting Service port's app port, reaches this pod's targetPort (fly-mapping §1: Fly
 * Proxy routes by port only, to started machines whose service checks pass):
 * - `internal_port` = targetPort: a number, or a name resolved against this pod's container ports
 *   (a pod without that port is not a backend of that Service port, as for kube-proxy);
 * - the readiness probe of the container serving the port (else of any container) as the
 *   service check, so a pod that is not Ready stops receiving new connections within one check
 *   interval; an exec probe cannot run as a Fly service check, so a TCP check on the port stands in;
 * - `autostart: false`, `autostop: "off"`: the proxy never starts or stops pod machines;
 * - the Service's `service.fly.io/concurrency-*` limits, when it sets them.
 * Pure: the same pod, Services and app ports give the same entries in the same order.
 */
export function podToMachineServices(pod: Pod, services: Iterable<Service>, appPortOf: AppPortOf): PodBackends {
  const entries: MachineService[] = [];
  const findings: string[] = [];
  for (const svc of services) {
    if (!proxiesTo(svc, pod)) continue;
    const at = `Service ${svc.metadata.namespace}/${svc.metadata.name}`;
    const concurrency = flyConcurrency(svc);
    (svc.spec?.ports ?? []).forEach((port, i) => {
      if ((port.protocol ?? "TCP") !== "TCP") return void findings.push(`${at} spec.ports[${i}]: only TCP is proxied on Fly`);
      const appPort = appPortOf(svc, port);
      if (appPort === undefined) return;
      const target = resolveTargetPort(pod, port);
      if (!target) return void findings.push(`${at} spec.ports[${i}].targetPort: pod has no container port named ${JSON.stringify(port.targetPort)}`);
      const check = readinessCheck(pod, target.container, target.port);
      entries.push({
        protocol: "tcp",
        internal_port: target.port,
        ports: [{ port: appPort }],
        autostart: false,
        autostop: "off",
        ...(concurrency ? { concurrency } : {}),
        ...(check ? { checks: [check] } : {}),
      });
    });
  }
  entries.sort((a, b) => (a.ports?.[0]?.port ?? 0) - (b.ports?.[0]?.port ?? 0));
  return { services: entries, findings };
}

/** The pod's port for a Service port: targetPort as a number (default: the Service port), or the named container port. */
export function resolveTargetPort(pod: Pick<Pod, "spec">, port: ServicePort): { port: number; container?: Container } | undefined {
  const target = port.targetPort ?? port.port;
  const containers = pod.spec.containers;
  if (typeof target === "number" || /^\d+$/.test(target)) {
    const n = Number(target);
    return { port: n, container: containers.find((c) => c.ports?.some((p) => p.containerPort === n)) };
  }
  for (const c of containers) {
    const named = c.ports?.find((p) => p.name === target && (p.protocol ?? "TCP") === "TCP");
    if (named) return { port: named.containerPort, container: c };
  }
  return undefined;
}

function readinessCheck(pod: Pod, serving: Container | undefined, port: number): MachineServiceCheck | undefined {
  const container = serving && probeOf(serving, "readiness") ? serving : pod.spec.containers.find((c) => probeOf(c, "readiness"));
  const probe = container && probeOf(container, "readiness");
  if (!container || !probe) return undefined;
  // Findings about the probe itself are reported by the pod's own translation.
  const check = probeToMachineCheck(probe, { kind: "readiness", c: container, path: "", log: new FindingsLog() });
  const timing = { interval: `${probe.periodSeconds ?? 10}s`, timeout: `${probe.timeoutSeconds ?? 1}s`, grace_period: `${probe.initialDelaySeconds ?? 0}s` };
  if (!check) return { type: "tcp", port, ...timing };
  const { kind: _kind, ...serviceCheck } = check;
  return serviceCheck as MachineServiceCheck;
}
