import type { AppRecord, IpRecord } from "../model";
import type { EmulatorState } from "../state";
import { serviceChecksPass } from "./checks";

/** One place a connection is delivered to (contract: `GET /_emulator/route`). */
export interface RouteTarget {
  app: string;
  machine_id: string;
  internal_port: number;
}

export interface RouteQuery {
  /** The app of the machine that dials; absent: a peer on the org's default private network (a WireGuard peer). */
  fromApp?: AppRecord;
  ip: string;
  port: number;
}

const DEFAULT_NETWORK = "default";

/** `fdaa:0:0::1` and `fdaa::1` are one address: compare canonical forms. */
export function canonicalIp(ip: string): string | undefined {
  const v6 = ip.replace(/^\[|\]$/g, "");
  try {
    if (v6.includes(":")) return new URL(`http://[${v6}]/`).hostname.slice(1, -1);
    if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return new URL(`http://${ip}/`).hostname;
  } catch {
    return undefined;
  }
  return undefined;
}

/** The 6PN network an app's machines live on ("default" unless the app was created on another). */
const networkOf = (app: AppRecord): string => app.network || DEFAULT_NETWORK;
/** A Flycast address lives on the network it was allocated in; omitted means the org's default one, not the app's (flycast docs). */
const flycastNetwork = (ip: IpRecord): string => ip.network?.name || DEFAULT_NETWORK;

interface Caller {
  org: string;
  network: string;
}

function callerOf(st: EmulatorState, fromApp: AppRecord | undefined): Caller {
  if (fromApp) return { org: fromApp.orgSlug, network: networkOf(fromApp) };
  return { org: st.options.org, network: DEFAULT_NETWORK };
}

/** True when the service listens on `port` (a single port or a start_port..end_port range). */
function servicePortMatches(ports: { port?: number; start_port?: number; end_port?: number }[] | undefined, port: number): boolean {
  return (ports ?? []).some((p) => p.port === port || (p.start_port !== undefined && p.end_port !== undefined && port >= p.start_port && port <= p.end_port));
}

/**
 * Fly Proxy's choice within an app: every machine with a TCP service on `port` ("routing is by
 * port only", machines-resource docs), that is started, not cordoned, and whose service checks
 * pass. When none is, the proxy starts a stopped or suspended one whose service has `autostart`
 * (default true): those are the targets then.
 */
function proxyTargets(st: EmulatorState, app: AppRecord, port: number): RouteTarget[] {
  const ready: RouteTarget[] = [];
  const startable: RouteTarget[] = [];
  for (const m of [...app.machines.values()].sort((a, b) => a.seq - b.seq)) {
    (m.config.services ?? []).forEach((service, i) => {
      if ((service.protocol ?? "tcp") !== "tcp" || !servicePortMatches(service.ports, port) || service.internal_port === undefined) return;
      const target = { app: app.name, machine_id: m.id, internal_port: service.internal_port };
      if (m.state === "started" && !m.cordoned && serviceChecksPass(st, m, i)) ready.push(target);
      else if ((m.state === "stopped" || m.state === "suspended") && !m.cordoned && service.autostart !== false) startable.push(target);
    });
  }
  return ready.length ? ready : startable;
}

/**
 * Where a TCP connection to `ip`:`port` is delivered (machines-resource "Notes on networking",
 * flycast and private-networking docs):
 * - a machine's 6PN address: that machine, at that port, when it is started and on the caller's
 *   org and network (6PN needs no `services`);
 * - an app's Flycast address: reachable from its own network only; then Fly Proxy within the app;
 * - an app's public address: reachable from anywhere; then Fly Proxy within the app;
 * - anything else: nowhere.
 */
export function route(st: EmulatorState, query: RouteQuery): RouteTarget[] {
  const ip = canonicalIp(query.ip);
  if (!ip) return [];
  const caller = callerOf(st, query.fromApp);
  for (const app of st.apps.values()) {
    for (const m of app.machines.values()) {
      if (canonicalIp(m.privateIp) !== ip) continue;
      const reachable = app.orgSlug === caller.org && networkOf(app) === caller.network && m.state === "started";
      return reachable ? [{ app: app.name, machine_id: m.id, internal_port: query.port }] : [];
    }
    const assigned = app.ips.find((a) => canonicalIp(a.ip) === ip);
    if (!assigned) continue;
    if (assigned.type === "private_v6" && (app.orgSlug !== caller.org || flycastNetwork(assigned) !== caller.network)) return [];
    return proxyTargets(st, app, query.port);
  }
  return [];
}
