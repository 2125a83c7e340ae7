import { FORWARDER_SOURCE } from "../../forwarder/source.generated";
import type { MachineConfig, MachineService } from "../../machines/machine-config";
import { isHeadless, type Service, type ServicePort, type StoredObjectMeta } from "../../shared/k8s";
import { MACHINE_METADATA } from "./machine-facts";
import { flyPortOptions } from "./service-annotations";
import { base64Utf8 } from "./volumes";

/** App ports are allocated from this range of the cluster app (below Linux's ephemeral range). */
export const APP_PORT_MIN = 10000;
export const APP_PORT_MAX = 29999;

/** Metadata keys of a Service's forwarder machine (besides `machinelet_cluster` and `machinelet_namespace`). */
export const SERVICE_METADATA = { serviceUid: "machinelet_service_uid", service: "machinelet_service" } as const;

/**
 * The forwarder's own limits: it only relays, so Fly's default (soft 20, hard 25 connections per
 * machine) would cap the whole Service; the pods' entries carry the Service's limits.
 */
const FORWARDER_CONCURRENCY = { type: "connections", soft_limit: 1000, hard_limit: 2000 };

/** The forwarder's image: the official Node image runs the shipped script as it is. */
export const FORWARDER_IMAGE = "node:24-alpine";
const FORWARDER_PATH = "/machinelet/forwarder.mjs";

/** Key of one Service port in the app-port table. */
export const servicePortKey = (uid: string, port: ServicePort): string => `${uid}/${port.port}/${port.protocol ?? "TCP"}`;

/** True when a Service gets a Fly address and app ports (not headless, not ExternalName). */
export const hasFlyAddress = (svc: Service): boolean => !isHeadless(svc) && svc.spec?.type !== "ExternalName";

/**
 * True when the worker makes the Service's Fly app and address: Fly Proxy can route to it. A
 * Service without a selector has hand-made Endpoints, which Fly cannot route to (this also leaves
 * out the API server's `kubernetes` Service).
 */
export const isAddressed = (svc: Service): boolean => hasFlyAddress(svc) && Object.keys(svc.spec?.selector ?? {}).length > 0;

/**
 * App ports for every TCP port of the addressed `services`: a port keeps its app port as long as
 * it exists; a new one takes the lowest port of the range that is free (`fixed` ports are taken:
 * those of other Services, left as they are); ports in `current` of Services not given are
 * released. Pure: `current` is not modified. Throws when the range is exhausted (20,000 Service
 * ports per cluster).
 */
export function allocateAppPorts(current: ReadonlyMap<string, number>, services: Iterable<Service>, fixed: ReadonlyMap<string, number> = new Map()): Map<string, number> {
  const wanted: string[] = [];
  for (const svc of services) {
    if (!hasFlyAddress(svc)) continue;
    for (const p of svc.spec?.ports ?? []) if ((p.protocol ?? "TCP") === "TCP") wanted.push(servicePortKey(svc.metadata.uid, p));
  }
  const next = new Map<string, number>();
  for (const key of wanted) {
    const kept = current.get(key);
    if (kept !== undefined) next.set(key, kept);
  }
  const taken = new Set([...next.values(), ...fixed.values()]);
  let candidate = APP_PORT_MIN;
  for (const key of wanted) {
    if (next.has(key)) continue;
    while (taken.has(candidate)) candidate++;
    if (candidate > APP_PORT_MAX) throw new Error(`no app port left in ${APP_PORT_MIN}..${APP_PORT_MAX} for Service port ${key}`);
    next.set(key, candidate);
    taken.add(candidate);
  }
  return next;
}

/**
 * The cluster's app ports after one Service changed (`service`) or went (undefined): only that
 * Service's ports move; every other Service keeps its own.
 */
export function appPortsAfter(current: ReadonlyMap<string, number>, uid: string, service: Service | undefined): Map<string, number> {
  const others = new Map<string, number>();
  const own = new Map<string, number>();
  for (const [key, port] of current) (key.startsWith(`${uid}/`) ? own : others).set(key, port);
  return new Map([...others, ...allocateAppPorts(own, service ? [service] : [], others)]);
}

/**
 * The Fly app of a Service: `<cluster app>-s-<namespace>-<name>-<uid prefix>`, at most 63
 * lowercase letters, digits and dashes; the uid prefix keeps a re-created Service apart from the
 * app its predecessor may still be tearing down.
 */
export function serviceAppName(clusterApp: string, meta: Pick<StoredObjectMeta, "namespace" | "name" | "uid">): string {
  const suffix = meta.uid.replace(/[^a-z0-9]/gi, "").toLowerCase().slice(0, 8);
  const slug = `${clusterApp}-s-${meta.namespace}-${meta.name}`.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/-{2,}/g, "-");
  return `${slug.slice(0, 63 - suffix.length - 1).replace(/-+$/, "")}-${suffix}`;
}

export interface ForwarderInput {
  cluster: string;
  service: Service;
  /** The cluster app's Flycast address (where app ports are served). */
  clusterFlycast: string;
  appPorts: ReadonlyMap<string, number>;
}

/**
 * The forwarder machine of a Service app: for each TCP Service port a `services` entry exposing
 * that port with the Service's `service.fly.io/<port>-*` handlers and TLS options (Fly Proxy
 * starts the machine on demand: `autostart: true`, `autostop: "stop"`), and
 * the forwarder relaying it to `[cluster Flycast]:<app port>`. Undefined when no port has an app
 * port yet.
 */
export function forwarderMachineConfig(input: ForwarderInput): MachineConfig | undefined {
  const { service, clusterFlycast, appPorts } = input;
  const routes: string[] = [];
  const services: MachineService[] = [];
  for (const p of service.spec?.ports ?? []) {
    const appPort = appPorts.get(servicePortKey(service.metadata.uid, p));
    if (appPort === undefined || (p.protocol ?? "TCP") !== "TCP") continue;
    routes.push(`${p.port}=[${clusterFlycast}]:${appPort}`);
    services.push({ protocol: "tcp", internal_port: p.port, ports: [{ port: p.port, ...flyPortOptions(service, p) }], autostart: true, autostop: "stop", concurrency: FORWARDER_CONCURRENCY });
  }
  if (routes.length === 0) return undefined;
  return {
    image: FORWARDER_IMAGE,
    guest: { cpu_kind: "shared", cpus: 1, memory_mb: 256 },
    init: { cmd: ["node", FORWARDER_PATH] },
    env: { FORWARD: routes.join(",") },
    files: [{ guest_path: FORWARDER_PATH, raw_value: base64Utf8(FORWARDER_SOURCE), mode: 0o444 }],
    services,
    restart: { policy: "always" },
    metadata: {
      [MACHINE_METADATA.cluster]: input.cluster,
      [MACHINE_METADATA.namespace]: service.metadata.namespace,
      [SERVICE_METADATA.serviceUid]: service.metadata.uid,
      [SERVICE_METADATA.service]: service.metadata.name,
    },
  };
}

/** One hop of a connection to a Service port (contract: `fly.hops`). */
export interface Hop {
  app: string;
  ip: string;
  port: number;
}

/**
 * For each TCP Service port, the addresses a connection passes: the Service app's address at the
 * Service port, then the cluster app's Flycast address at the app port (the emulator's `route`
 * follows each hop).
 */
export function serviceHops(service: Service, at: { serviceApp: string; address: string; clusterApp: string; clusterFlycast: string; appPorts: ReadonlyMap<string, number> }): Record<string, Hop[]> {
  const hops: Record<string, Hop[]> = {};
  for (const p of service.spec?.ports ?? []) {
    const appPort = at.appPorts.get(servicePortKey(service.metadata.uid, p));
    if (appPort === undefined) continue;
    hops[String(p.port)] = [
      { app: at.serviceApp, ip: at.address, port: p.port },
      { app: at.clusterApp, ip: at.clusterFlycast, port: appPort },
    ];
  }
  return hops;
}
