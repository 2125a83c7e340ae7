/**
 * The Endpoints and EndpointSlice controllers of the K8s stand-in (staging and tests only), after
 * pkg/controller/endpoint and pkg/controller/endpointslice: for every Service with a selector, the
 * pods it selects that have an IP of the Service's first IP family and have not finished become
 * addresses, their target ports resolved (named ports looked up in the pod's containers).
 * Endpoints (same name as the Service) list ready pods in `addresses` and the rest in
 * `notReadyAddresses`; EndpointSlices (`<service>-<suffix>`, labelled kubernetes.io/service-name,
 * owned by the Service) carry ready/serving/terminating conditions. Services without a selector
 * keep whatever Endpoints their owner writes. One slice per distinct port mapping.
 */
import type { JsonObject, K8sObject } from "../k8s-object";
import { cloneObject, isJsonObject, jsonEqual } from "../k8s-object";
import type { Registry } from "../registry";
import { PODS } from "../registry";
import { resourceByKind } from "../resources";
import { matchesLabels } from "../selectors";
import type { Controller } from "./loop";
import { bestEffort } from "./loop";
import { controllerReferenceTo, isReady, labelsOf, phaseOf } from "./owned-pods";

const SERVICES = resourceByKind("Service");
const ENDPOINTS = resourceByKind("Endpoints");
const SLICES = resourceByKind("EndpointSlice");
const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
const MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by";
const MANAGED_BY = "endpointslice-controller.k8s.io";

const list = (value: unknown): JsonObject[] => (Array.isArray(value) ? value.filter(isJsonObject) : []);

interface Backend {
  pod: K8sObject;
  ip: string;
  ready: boolean;
  terminating: boolean;
  ports: JsonObject[];
}

function podIpOfFamily(pod: K8sObject, family: string): string | undefined {
  const status = isJsonObject(pod.status) ? pod.status : {};
  const ips = list(status.podIPs).map((p) => String(p.ip));
  if (ips.length === 0 && typeof status.podIP === "string" && status.podIP) ips.push(status.podIP);
  return ips.find((ip) => ip.includes(":") === (family === "IPv6"));
}

/** podutil.FindPort: a number is itself; a name is looked up among the containers' ports. */
function resolvePort(pod: K8sObject, servicePort: JsonObject): number | undefined {
  const target = servicePort.targetPort ?? servicePort.port;
  if (typeof target === "number") return target;
  for (const container of list(isJsonObject(pod.spec) ? pod.spec.containers : undefined)) {
    const port = list(container.ports).find((p) => p.name === target && (p.protocol ?? "TCP") === (servicePort.protocol ?? "TCP"));
    if (port && typeof port.containerPort === "number") return port.containerPort;
  }
  return undefined;
}

function backendsOf(registry: Registry, svc: K8sObject): Backend[] {
  const spec = svc.spec as JsonObject;
  const family = Array.isArray(spec.ipFamilies) && spec.ipFamilies[0] === "IPv6" ? "IPv6" : "IPv4";
  const selector = Object.entries(spec.selector as Record<string, string>).map(([key, value]) => ({ key, operator: "=" as const, values: [value] }));
  const backends: Backend[] = [];
  for (const pod of registry.list(PODS, svc.metadata.namespace)) {
    if (!matchesLabels(selector, labelsOf(pod)) || ["Succeeded", "Failed"].includes(phaseOf(pod))) continue;
    const ip = podIpOfFamily(pod, family);
    if (!ip) continue;
    const ports: JsonObject[] = [];
    for (const servicePort of list(spec.ports)) {
      const port = resolvePort(pod, servicePort);
      if (port !== undefined) ports.push({ ...(servicePort.name ? { name: servicePort.name } : {}), port, protocol: servicePort.protocol ?? "TCP" });
    }
    const terminating = pod.metadata.deletionTimestamp !== undefined;
    backends.push({ pod, ip, ready: !terminating && (isReady(pod) || spec.publishNotReadyAddresses === true), terminating, ports });
  }
  return backends;
}

function targetRef(pod: K8sObject): JsonObject {
  return { kind: "Pod", namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid };
}

function address(svc: K8sObject, b: Backend): JsonObject {
  const spec = isJsonObject(b.pod.spec) ? b.pod.spec : {};
  const hostname = spec.hostname && spec.subdomain === svc.metadata.name ? { hostname: spec.hostname } : {};
  return { ip: b.ip, ...hostname, ...(spec.nodeName ? { nodeName: spec.nodeName } : {}), targetRef: targetRef(b.pod) };
}

function groupByPorts(backends: readonly Backend[]): Map<string, Backend[]> {
  const groups = new Map<string, Backend[]>();
  for (const b of backends) groups.set(JSON.stringify(b.ports), [...(groups.get(JSON.stringify(b.ports)) ?? []), b]);
  return groups;
}

function syncEndpoints(registry: Registry, svc: K8sObject, backends: readonly Backend[]): void {
  const namespace = svc.metadata.namespace ?? "";
  const name = svc.metadata.name ?? "";
  const subsets = [...groupByPorts(backends.filter((b) => !b.terminating || (svc.spec as JsonObject).publishNotReadyAddresses === true))].map(([ports, group]) => {
    const ready = group.filter((b) => b.ready).map((b) => address(svc, b));
    const notReady = group.filter((b) => !b.ready).map((b) => address(svc, b));
    return { ...(ready.length ? { addresses: ready } : {}), ...(notReady.length ? { notReadyAddresses: notReady } : {}), ports: JSON.parse(ports) as JsonObject[] };
  });
  const headless = (svc.spec as JsonObject).clusterIP === "None" ? { "service.kubernetes.io/headless": "" } : {};
  const desired = { metadata: { name, namespace, labels: { ...svc.metadata.labels, ...headless } }, ...(subsets.length ? { subsets } : {}) };
  const existing = registry.find(ENDPOINTS, namespace, name);
  if (!existing) {
    bestEffort(() => registry.create(ENDPOINTS, namespace, desired));
    return;
  }
  const next = { ...cloneObject(existing), metadata: { ...existing.metadata, labels: desired.metadata.labels } } as K8sObject;
  delete next.subsets;
  if (subsets.length) next.subsets = subsets;
  if (!jsonEqual(next, existing)) bestEffort(() => registry.update(ENDPOINTS, namespace, name, next));
}

function syncSlices(registry: Registry, svc: K8sObject, backends: readonly Backend[]): void {
  const namespace = svc.metadata.namespace ?? "";
  const name = svc.metadata.name ?? "";
  const spec = svc.spec as JsonObject;
  const addressType = Array.isArray(spec.ipFamilies) && spec.ipFamilies[0] === "IPv6" ? "IPv6" : "IPv4";
  const groups = [...groupByPorts(backends)];
  if (groups.length === 0) groups.push(["[]", []]);
  const labels = { ...svc.metadata.labels, [SERVICE_NAME_LABEL]: name, [MANAGED_BY_LABEL]: MANAGED_BY };
  const existing = registry.list(SLICES, namespace).filter((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === name && s.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY);
  groups.forEach(([ports, group], i) => {
    const endpoints = group.map((b) => {
      const { ip: _ip, ...rest } = address(svc, b);
      return { addresses: [b.ip], conditions: { ready: b.ready, serving: isReady(b.pod), terminating: b.terminating }, ...rest };
    });
    const body = { addressType, endpoints, ports: JSON.parse(ports) as JsonObject[] };
    const current = existing[i];
    if (!current) {
      bestEffort(() => registry.create(SLICES, namespace, { metadata: { generateName: `${name}-`, labels, ownerReferences: [controllerReferenceTo(svc)] }, ...body }));
      return;
    }
    const next = { ...cloneObject(current), ...body, metadata: { ...current.metadata, labels } } as K8sObject;
    if (!jsonEqual(next, current)) bestEffort(() => registry.update(SLICES, namespace, current.metadata.name ?? "", next));
  });
  for (const extra of existing.slice(groups.length)) bestEffort(() => registry.delete(SLICES, namespace, extra.metadata.name ?? ""));
}

export function endpointsController(registry: Registry): Controller {
  /** Endpoints this controller wrote: the ones to remove when their Service goes. */
  const managed = new Set<string>();
  return {
    name: "endpoints",
    watches: [SERVICES, PODS, ENDPOINTS, SLICES],
    sync() {
      const services = registry.list(SERVICES, undefined);
      for (const svc of services) {
        const spec = isJsonObject(svc.spec) ? svc.spec : {};
        if (!isJsonObject(spec.selector) || Object.keys(spec.selector).length === 0 || svc.metadata.deletionTimestamp) continue;
        const backends = backendsOf(registry, svc);
        managed.add(`${svc.metadata.namespace ?? ""}/${svc.metadata.name ?? ""}`);
        syncEndpoints(registry, svc, backends);
        syncSlices(registry, svc, backends);
      }
      // Endpoints of Services that are gone go with them (the slices, owned by the Service, by garbage collection).
      for (const key of managed) {
        const [namespace = "", name = ""] = key.split("/");
        if (services.some((s) => s.metadata.namespace === namespace && s.metadata.name === name)) continue;
        managed.delete(key);
        if (registry.find(ENDPOINTS, namespace, name)) bestEffort(() => registry.delete(ENDPOINTS, namespace, name));
      }
    },
  };
}
