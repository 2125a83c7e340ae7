import type { MachineService } from "../../machines/machine-config";
import type { Service, ServicePort } from "../../shared/k8s";

/**
 * FKS's Service annotations (fly.io/docs/kubernetes/services), read as FKS documents them:
 * - `service.fly.io/<port name or number>-handlers`: Fly Proxy connection handlers for that port
 *   ("http,tls"), and `-tls-alpn`, `-tls-versions` (comma lists), `-tls-default-self-signed`
 *   ("true"/"false"): its TLS options. They apply where the Service's port meets Fly Proxy: the
 *   Service app's forwarder (so a LoadBalancer terminates TLS at Fly's edge).
 * - `service.fly.io/concurrency-kind` (`connections` or `requests`), `-limit-soft`, `-limit-hard`:
 *   the concurrency limits of the pods' `services` entries, where the load lands (Fly's default:
 *   connections, soft 20, hard 25).
 * A value Fly would refuse is left out, and `problems` names it (admission denies it).
 */
export const FLY_SERVICE_ANNOTATION = "service.fly.io/";

/** Fly Proxy's connection handlers (fly.io/docs/networking/services#connection-handlers). */
const HANDLERS = new Set(["http", "tls", "pg_tls", "proxy_proto", "edge_http"]);
const TLS_VERSIONS = new Set(["TLSv1.2", "TLSv1.3"]);
const CONCURRENCY_KINDS = new Set(["connections", "requests"]);

type PortOptions = Pick<NonNullable<MachineService["ports"]>[number], "handlers" | "tls_options">;

const list = (v: string) => v.split(",").map((s) => s.trim()).filter(Boolean);

/** The annotation for `port` under `suffix`: by the port's name, else by its number. */
function portAnnotation(svc: Service, port: ServicePort, suffix: string): [key: string, value: string] | undefined {
  const annotations = svc.metadata.annotations ?? {};
  for (const id of [port.name, String(port.port)]) {
    const key = `${FLY_SERVICE_ANNOTATION}${id}-${suffix}`;
    if (id && annotations[key] !== undefined) return [key, annotations[key]];
  }
  return undefined;
}

/** Handlers and TLS options of one Service port on its forwarder's `services` entry. */
export function flyPortOptions(svc: Service, port: ServicePort, problems: string[] = []): PortOptions {
  const out: PortOptions = {};
  const handlers = portAnnotation(svc, port, "handlers");
  if (handlers) {
    const bad = list(handlers[1]).filter((h) => !HANDLERS.has(h));
    if (bad.length) problems.push(`${handlers[0]}: ${bad.join(", ")} is not a Fly connection handler (${[...HANDLERS].join(", ")})`);
    else out.handlers = list(handlers[1]);
  }
  const tls: NonNullable<PortOptions["tls_options"]> = {};
  const alpn = portAnnotation(svc, port, "tls-alpn");
  if (alpn) tls.alpn = list(alpn[1]);
  const versions = portAnnotation(svc, port, "tls-versions");
  if (versions) {
    const bad = list(versions[1]).filter((v) => !TLS_VERSIONS.has(v));
    if (bad.length) problems.push(`${versions[0]}: ${bad.join(", ")} is not a TLS version Fly offers (${[...TLS_VERSIONS].join(", ")})`);
    else tls.versions = list(versions[1]);
  }
  const selfSigned = portAnnotation(svc, port, "tls-default-self-signed");
  if (selfSigned) {
    if (selfSigned[1] !== "true" && selfSigned[1] !== "false") problems.push(`${selfSigned[0]}: expected "true" or "false"`);
    else tls.default_self_signed = selfSigned[1] === "true";
  }
  if (Object.keys(tls).length > 0) out.tls_options = tls;
  return out;
}

/** The concurrency limits the Service asks of its pods' `services` entries, if any. */
export function flyConcurrency(svc: Service, problems: string[] = []): MachineService["concurrency"] | undefined {
  const annotations = svc.metadata.annotations ?? {};
  const key = (s: string) => `${FLY_SERVICE_ANNOTATION}concurrency-${s}`;
  const out: NonNullable<MachineService["concurrency"]> = {};
  const kind = annotations[key("kind")];
  if (kind !== undefined) {
    if (CONCURRENCY_KINDS.has(kind)) out.type = kind;
    else problems.push(`${key("kind")}: expected connections or requests`);
  }
  for (const [suffix, field] of [["limit-soft", "soft_limit"], ["limit-hard", "hard_limit"]] as const) {
    const v = annotations[key(suffix)];
    if (v === undefined) continue;
    if (/^\d+$/.test(v) && Number(v) > 0) out[field] = Number(v);
    else problems.push(`${key(suffix)}: expected a positive whole number`);
  }
  if (out.soft_limit !== undefined && out.hard_limit !== undefined && out.soft_limit > out.hard_limit) {
    problems.push(`${key("limit-soft")}: the soft limit ${out.soft_limit} is above the hard limit ${out.hard_limit}`);
    return undefined;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Every `service.fly.io/*` value of the Service Fly would refuse (admission denies them). */
export function flyAnnotationProblems(svc: Service): string[] {
  const problems: string[] = [];
  for (const port of svc.spec?.ports ?? []) flyPortOptions(svc, port, problems);
  flyConcurrency(svc, problems);
  return problems;
}
