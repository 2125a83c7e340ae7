import type { Container, Probe } from "../../shared/k8s";
import type { FindingsLog } from "./findings";
import type { ContainerHealthcheck, MachineCheck } from "../../machines/machine-config";

export type ProbeKind = "liveness" | "readiness" | "startup";
export const PROBE_KINDS: readonly ProbeKind[] = ["startup", "readiness", "liveness"];
const FIELD: Record<ProbeKind, "livenessProbe" | "readinessProbe" | "startupProbe"> = {
  liveness: "livenessProbe",
  readiness: "readinessProbe",
  startup: "startupProbe",
};

/** Kubernetes probe defaults (seconds / counts). */
const DEFAULTS = { periodSeconds: 10, timeoutSeconds: 1, initialDelaySeconds: 0, failureThreshold: 3, successThreshold: 1 };

/**
 * The name of the Fly check (machine `checks` key or container healthcheck name) made from a
 * container's probe; pod status finds readiness and startup results by it.
 */
export function probeCheckName(container: string, kind: ProbeKind): string {
  return `${container}-${kind}`;
}

export function probeOf(c: Container, kind: ProbeKind): Probe | undefined {
  return c[FIELD[kind]];
}

interface ProbeTarget {
  kind: ProbeKind;
  c: Container;
  /** path of the container, e.g. `spec.containers[0]` */
  path: string;
  log: FindingsLog;
}

/**
 * A probe as a machine check (single-container Machines). Readiness probes become `readiness`
 * checks; liveness and startup probes become `informational` checks, because a failing machine
 * check neither restarts the Machine nor gates the other checks (warned). Exec probes never get
 * here: they make the pod use `containers[]`.
 */
export function probeToMachineCheck(probe: Probe, t: ProbeTarget): MachineCheck | undefined {
  const at = `${t.path}.${FIELD[t.kind]}`;
  const handler = handlerOf(probe, t, at);
  if (!handler || "exec" in handler) return undefined;
  if (t.kind === "liveness") t.log.warn(at, "checked, but a failing machine check does not restart the Machine");
  if (t.kind === "startup") t.log.warn(at, "checked for the pod's status, but it neither delays the other checks nor restarts the Machine");
  for (const f of ["failureThreshold", "successThreshold"] as const) {
    if (probe[f] !== undefined && probe[f] !== DEFAULTS[f]) t.log.warn(`${at}.${f}`, "machine checks have no thresholds");
  }
  const check: MachineCheck = {
    kind: t.kind === "readiness" ? "readiness" : "informational",
    interval: `${probe.periodSeconds ?? DEFAULTS.periodSeconds}s`,
    timeout: `${probe.timeoutSeconds ?? DEFAULTS.timeoutSeconds}s`,
    grace_period: `${probe.initialDelaySeconds ?? DEFAULTS.initialDelaySeconds}s`,
  };
  if ("tcp" in handler) return { ...check, type: "tcp", port: handler.tcp.port };
  const { scheme, ...http } = handler.http;
  return { ...check, type: "http", ...http, protocol: scheme };
}

/**
 * A probe as a container healthcheck (`containers[]` Machines). Liveness probes stop the unhealthy
 * container (`unhealthy: "stop"`) so its restart policy applies, as the kubelet restarts it.
 * Startup probes become readiness healthchecks (Fly has no startup kind): checked continuously,
 * and a container failing one is not restarted (warned).
 */
export function probeToHealthcheck(probe: Probe, t: ProbeTarget): ContainerHealthcheck | undefined {
  const at = `${t.path}.${FIELD[t.kind]}`;
  const handler = handlerOf(probe, t, at);
  if (!handler) return undefined;
  if (t.kind === "startup") t.log.warn(at, "checked continuously as a readiness healthcheck; a container failing it is not restarted");
  return {
    name: probeCheckName(t.c.name, t.kind),
    kind: t.kind === "liveness" ? "liveness" : "readiness",
    interval: probe.periodSeconds ?? DEFAULTS.periodSeconds,
    timeout: probe.timeoutSeconds ?? DEFAULTS.timeoutSeconds,
    grace_period: probe.initialDelaySeconds ?? DEFAULTS.initialDelaySeconds,
    failure_threshold: probe.failureThreshold ?? DEFAULTS.failureThreshold,
    success_threshold: probe.successThreshold ?? DEFAULTS.successThreshold,
    ...(t.kind === "liveness" ? { unhealthy: "stop" as const } : {}),
    ...handler,
  };
}

interface HttpHandler {
  port: number;
  method: "GET";
  path: string;
  scheme: "http" | "https";
  tls_skip_verify?: true;
  headers?: { name: string; values: string[] }[];
}
type Handler = { http: HttpHandler } | { tcp: { port: number } } | { exec: { command: string[] } };

/** The probe's action with named ports resolved, or undefined (reported) when Fly cannot run it. */
function handlerOf(probe: Probe, t: ProbeTarget, at: string): Handler | undefined {
  if (!supported(probe, at, t.log)) return undefined;
  if (probe.exec) return { exec: { command: probe.exec.command ?? [] } };
  if (probe.httpGet) {
    const port = resolvePort(probe.httpGet.port, t.c, `${at}.httpGet.port`, t.log);
    if (port === undefined) return undefined;
    const https = probe.httpGet.scheme === "HTTPS";
    const http: HttpHandler = { port, method: "GET", path: probe.httpGet.path || "/", scheme: https ? "https" : "http" };
    // The kubelet does not verify the certificates of HTTPS probes.
    if (https) http.tls_skip_verify = true;
    if (probe.httpGet.httpHeaders?.length) http.headers = headersOf(probe.httpGet.httpHeaders);
    return { http };
  }
  const port = resolvePort(probe.tcpSocket!.port, t.c, `${at}.tcpSocket.port`, t.log);
  return port === undefined ? undefined : { tcp: { port } };
}

/** Reports what no Fly check can do; true when the probe has a handler Fly can run. */
function supported(probe: Probe, at: string, log: FindingsLog): boolean {
  if (probe.terminationGracePeriodSeconds != null) log.notHonoured(`${at}.terminationGracePeriodSeconds`, "per-probe grace periods are not available");
  if (probe.httpGet?.host) log.notHonoured(`${at}.httpGet.host`, "Fly checks always connect to the Machine itself");
  if (probe.tcpSocket?.host) log.notHonoured(`${at}.tcpSocket.host`, "Fly checks always connect to the Machine itself");
  if (probe.grpc) {
    log.notHonoured(`${at}.grpc`, "Fly has no gRPC health checks");
    return false;
  }
  if (!probe.httpGet && !probe.tcpSocket && !probe.exec) {
    log.error(at, "a probe needs exec, httpGet, tcpSocket or grpc");
    return false;
  }
  return true;
}

/** A port number, or a container port's number by name. */
export function resolvePort(port: number | string, c: Container, at: string, log: FindingsLog): number | undefined {
  if (typeof port === "number") return port;
  if (/^\d+$/.test(port)) return Number(port);
  const named = c.ports?.find((p) => p.name === port);
  if (!named) log.error(at, `container "${c.name}" has no port named "${port}"`);
  return named?.containerPort;
}

function headersOf(headers: { name: string; value: string }[]): { name: string; values: string[] }[] {
  const byName = new Map<string, string[]>();
  for (const h of headers) byName.set(h.name, [...(byName.get(h.name) ?? []), h.value]);
  return [...byName].map(([name, values]) => ({ name, values }));
}
