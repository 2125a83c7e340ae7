/**
 * Relay configuration: one zod schema with the defaults, and the mapping from command-line flags
 * and environment variables onto it (flags win over env). The relay secret is read from the
 * environment only, so it never shows up in a process listing.
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { CLUSTER_NAME, CLUSTER_NAME_RULE } from "../shared/contract";
import { parsePortForwardMode } from "./kubelet/pod-dialer";

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

export const DEFAULT_TAINT = { key: "virtual-kubelet.io/provider", value: "fly", effect: "NoSchedule" } as const;

const taintSchema = z.object({
  key: z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/, "taint key must be a qualified name"),
  value: z.string().optional(),
  effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]),
});
export type Taint = z.infer<typeof taintSchema>;

const ms = (def: number) => z.number().int().positive().default(def);

export const relayConfigSchema = z
  .object({
    /** Kubeconfig file; without it: in-cluster config when `inCluster`, else the default loading rules (KUBECONFIG, ~/.kube/config). */
    kubeconfigPath: z.string().min(1).optional(),
    inCluster: z.boolean().default(false),
    workerUrl: z.url({ protocol: /^https?$/, error: "workerUrl must be an http(s) URL" }),
    cluster: z.string().regex(CLUSTER_NAME, `cluster must be ${CLUSTER_NAME_RULE}`),
    relaySecret: z.string().min(1, "RELAY_SECRET must be set"),
    /** Name of the virtual Node; default `fks-<cluster>`. */
    nodeName: z.string().regex(DNS_SUBDOMAIN, "nodeName must be a DNS subdomain").max(253).optional(),
    /** Namespaces to watch; empty = all. */
    namespaces: z.array(z.string().regex(DNS_LABEL, "each namespace must be a DNS label")).default([]),
    /** Taint on the virtual Node; `null` = none. */
    nodeTaint: taintSchema.nullable().default({ ...DEFAULT_TAINT }),
    /** Where the status-feed cursor survives restarts; in memory only when unset. */
    cursorFile: z.string().min(1).optional(),
    /** InternalIP of the virtual Node; default: the first non-internal IPv4 of this host. */
    nodeAddress: z.string().min(1).optional(),
    /** Port of the kubelet API, advertised as daemonEndpoints.kubeletEndpoint.Port; 0 picks a free one. */
    kubeletPort: z.number().int().min(0).max(65535).default(10250),
    /** Address the kubelet API listens on. */
    kubeletBindAddress: z.string().min(1).default("0.0.0.0"),
    /** PEM CA bundle the API server's kubelet client certificate chains to; without it the kubelet API is not served. */
    kubeletClientCaFile: z.string().min(1).optional(),
    /** PEM serving certificate and key of the kubelet API; self-signed for the node's address and name when absent. */
    kubeletTlsCertFile: z.string().min(1).optional(),
    kubeletTlsKeyFile: z.string().min(1).optional(),
    /** How port-forward reaches pods (pod-dialer.ts): `off` (refused, saying why), `6pn` (the relay is on the Fly private network), `emulator:<url>` (staging). */
    portForward: z
      .string()
      .default("off")
      .transform((t, ctx) => {
        try {
          return parsePortForwardMode(t);
        } catch (e) {
          ctx.addIssue({ code: "custom", message: e instanceof Error ? e.message : String(e) });
          return z.NEVER;
        }
      }),
    nodeCpu: z.string().regex(QUANTITY, "nodeCpu must be a quantity").default("1000"),
    nodeMemory: z.string().regex(QUANTITY, "nodeMemory must be a quantity").default("4Ti"),
    nodePods: z.string().regex(/^[0-9]+$/, "nodePods must be an integer").default("10000"),
    leaseIntervalMs: ms(10_000),
    leaseDurationSeconds: z.number().int().positive().default(40),
    nodeStatusIntervalMs: ms(60_000),
    healthIntervalMs: ms(10_000),
    /** The node turns NotReady when neither /healthz nor the status feed has answered for this long. */
    unreachableAfterMs: ms(30_000),
    /** Long-poll `wait` of the status feed, seconds (contract: at most 30). */
    feedWaitSeconds: z.number().int().min(1).max(30).default(25),
    /** An informer with no list, watch (re)connect, event or bookmark for this long is restarted. */
    watchdogMs: ms(120_000),
    /** Server-side `timeoutSeconds` of each watch request. */
    watchTimeoutSeconds: z.number().int().positive().default(300),
    requestTimeoutMs: ms(15_000),
    backoffBaseMs: ms(500),
    backoffMaxMs: ms(30_000),
    shutdownFlushMs: z.number().int().nonnegative().default(5_000),
    /** DELETED events held while the worker is unreachable; beyond it the oldest are dropped and a snapshot replaces them. */
    maxPendingDeletes: z.number().int().positive().default(10_000),
    listPageSize: z.number().int().positive().default(500),
    logLevel: z.enum(["debug", "info", "warn", "error"]).default("info"),
    /** Port of the Prometheus `/metrics` endpoint; `null` = not served, 0 = any free port. */
    metricsPort: z.number().int().min(0).max(65535).nullable().default(9464),
    metricsHost: z.string().min(1).default("0.0.0.0"),
  })
  .transform((c) => ({ ...c, nodeName: c.nodeName ?? `fks-${c.cluster}` }));

export type RelayOptions = z.input<typeof relayConfigSchema>;
export type RelayConfig = z.output<typeof relayConfigSchema>;

/** Validates and completes options; the error names every field that is wrong. */
export function resolveRelayConfig(options: RelayOptions): RelayConfig {
  const parsed = relayConfigSchema.safeParse(options);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(config)"}: ${i.message}`);
    throw new Error(`invalid relay configuration: ${issues.join("; ")}`);
  }
  if ((parsed.data.kubeletTlsCertFile === undefined) !== (parsed.data.kubeletTlsKeyFile === undefined)) {
    throw new Error("invalid relay configuration: kubeletTlsCertFile and kubeletTlsKeyFile go together");
  }
  if (parsed.data.backoffBaseMs > parsed.data.backoffMaxMs) {
    throw new Error("invalid relay configuration: backoffBaseMs must not exceed backoffMaxMs");
  }
  return parsed.data;
}

/** `10s`, `500ms`, `2m`, `1h`; a bare number is seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a duration (e.g. 10s, 500ms, 2m)`);
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"];
  return Math.round(Number(m[1]) * factor);
}

/** `key=value:Effect` or `key:Effect`; `none` or empty means no taint. */
export function parseTaint(text: string): Taint | null {
  const t = text.trim();
  if (t === "" || t === "none") return null;
  const m = /^([^=:]+)(?:=([^:]*))?:([A-Za-z]+)$/.exec(t);
  if (!m) throw new Error(`"${text}" is not a taint: expected key=value:Effect, key:Effect or none`);
  return { key: m[1]!, ...(m[2] !== undefined ? { value: m[2] } : {}), effect: m[3] as Taint["effect"] };
}

function parseInteger(text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new Error(`"${text}" is not a non-negative integer`);
  return Number(text);
}

function parseBoolean(text: string): boolean {
  if (/^(1|true|yes)$/i.test(text)) return true;
  if (/^(0|false|no|)$/i.test(text)) return false;
  throw new Error(`"${text}" is not a boolean`);
}

const list = (text: string) => text.split(",").map((s) => s.trim()).filter(Boolean);
const str = (text: string) => text;

interface Setting {
  key: keyof RelayOptions;
  flag: string;
  env: string;
  parse: (text: string) => unknown;
  help: string;
}

/** Every setting a flag or an environment variable can give (RELAY_SECRET is env-only, see below). */
export const SETTINGS: readonly Setting[] = [
  { key: "kubeconfigPath", flag: "kubeconfig", env: "RELAY_KUBECONFIG", parse: str, help: "kubeconfig file (default: in-cluster, else KUBECONFIG / ~/.kube/config)" },
  { key: "inCluster", flag: "in-cluster", env: "RELAY_IN_CLUSTER", parse: parseBoolean, help: "use the in-cluster service account (default: when KUBERNETES_SERVICE_HOST is set and no kubeconfig is given)" },
  { key: "workerUrl", flag: "worker-url", env: "RELAY_WORKER_URL", parse: str, help: "base URL of the worker" },
  { key: "cluster", flag: "cluster", env: "RELAY_CLUSTER", parse: str, help: "cluster name at the worker" },
  { key: "nodeName", flag: "node-name", env: "RELAY_NODE_NAME", parse: str, help: "virtual Node name (default fks-<cluster>)" },
  { key: "namespaces", flag: "namespaces", env: "RELAY_NAMESPACES", parse: list, help: "comma-separated namespaces to watch (default all)" },
  { key: "nodeTaint", flag: "node-taint", env: "RELAY_NODE_TAINT", parse: parseTaint, help: `key=value:Effect or none (default ${DEFAULT_TAINT.key}=${DEFAULT_TAINT.value}:${DEFAULT_TAINT.effect})` },
  { key: "cursorFile", flag: "cursor-file", env: "RELAY_CURSOR_FILE", parse: str, help: "file that keeps the status-feed cursor (default: memory)" },
  { key: "nodeAddress", flag: "node-address", env: "RELAY_NODE_ADDRESS", parse: str, help: "InternalIP of the virtual Node" },
  { key: "kubeletPort", flag: "kubelet-port", env: "RELAY_KUBELET_PORT", parse: parseInteger, help: "daemonEndpoints.kubeletEndpoint.Port (default 10250)" },
  { key: "kubeletBindAddress", flag: "kubelet-bind-address", env: "RELAY_KUBELET_BIND_ADDRESS", parse: str, help: "address the kubelet API listens on (default 0.0.0.0)" },
  { key: "kubeletClientCaFile", flag: "kubelet-client-ca", env: "RELAY_KUBELET_CLIENT_CA", parse: str, help: "CA of the API server's kubelet client certificate (K3s: /var/lib/rancher/k3s/server/tls/client-ca.crt); without it no kubelet API" },
  { key: "kubeletTlsCertFile", flag: "kubelet-tls-cert", env: "RELAY_KUBELET_TLS_CERT", parse: str, help: "serving certificate of the kubelet API (default: self-signed)" },
  { key: "kubeletTlsKeyFile", flag: "kubelet-tls-key", env: "RELAY_KUBELET_TLS_KEY", parse: str, help: "key of --kubelet-tls-cert" },
  { key: "portForward", flag: "port-forward", env: "RELAY_PORT_FORWARD", parse: str, help: "how port-forward reaches pods: off (default; refused with the reason), 6pn (the relay runs on Fly's private network or WireGuard), emulator:<url> (staging)" },
  { key: "nodeCpu", flag: "node-cpu", env: "RELAY_NODE_CPU", parse: str, help: "cpu capacity (default 1000)" },
  { key: "nodeMemory", flag: "node-memory", env: "RELAY_NODE_MEMORY", parse: str, help: "memory capacity (default 4Ti)" },
  { key: "nodePods", flag: "node-pods", env: "RELAY_NODE_PODS", parse: str, help: "pod capacity (default 10000)" },
  { key: "leaseIntervalMs", flag: "lease-interval", env: "RELAY_LEASE_INTERVAL", parse: parseDuration, help: "Lease renewal period (default 10s)" },
  { key: "nodeStatusIntervalMs", flag: "node-status-interval", env: "RELAY_NODE_STATUS_INTERVAL", parse: parseDuration, help: "Node status heartbeat (default 1m)" },
  { key: "healthIntervalMs", flag: "health-interval", env: "RELAY_HEALTH_INTERVAL", parse: parseDuration, help: "worker /healthz probe period (default 10s)" },
  { key: "unreachableAfterMs", flag: "unreachable-after", env: "RELAY_UNREACHABLE_AFTER", parse: parseDuration, help: "NotReady after the worker failed this long (default 30s)" },
  { key: "feedWaitSeconds", flag: "feed-wait", env: "RELAY_FEED_WAIT", parse: (t) => parseDuration(t) / 1000, help: "status-feed long-poll wait, at most 30s (default 25s)" },
  { key: "watchdogMs", flag: "watchdog", env: "RELAY_WATCHDOG", parse: parseDuration, help: "restart an informer silent this long (default 2m)" },
  { key: "watchTimeoutSeconds", flag: "watch-timeout", env: "RELAY_WATCH_TIMEOUT", parse: (t) => parseDuration(t) / 1000, help: "server-side watch timeout (default 5m)" },
  { key: "requestTimeoutMs", flag: "request-timeout", env: "RELAY_REQUEST_TIMEOUT", parse: parseDuration, help: "timeout of one API or worker request (default 15s)" },
  { key: "backoffBaseMs", flag: "backoff-base", env: "RELAY_BACKOFF_BASE", parse: parseDuration, help: "first retry delay (default 500ms)" },
  { key: "backoffMaxMs", flag: "backoff-max", env: "RELAY_BACKOFF_MAX", parse: parseDuration, help: "largest retry delay (default 30s)" },
  { key: "shutdownFlushMs", flag: "shutdown-flush", env: "RELAY_SHUTDOWN_FLUSH", parse: parseDuration, help: "time allowed to flush events on shutdown (default 5s)" },
  { key: "maxPendingDeletes", flag: "max-pending-deletes", env: "RELAY_MAX_PENDING_DELETES", parse: parseInteger, help: "DELETED events kept while the worker is down (default 10000)" },
  { key: "logLevel", flag: "log-level", env: "RELAY_LOG_LEVEL", parse: str, help: "debug, info, warn or error (default: LOG_LEVEL, else info)" },
  { key: "metricsPort", flag: "metrics-port", env: "RELAY_METRICS_PORT", parse: (t) => (t.trim() === "none" ? null : parseInteger(t)), help: "port of the Prometheus /metrics endpoint, or none (default 9464)" },
  { key: "metricsHost", flag: "metrics-host", env: "RELAY_METRICS_HOST", parse: str, help: "address the metrics endpoint listens on (default 0.0.0.0)" },
];

export const USAGE = [
  "usage: relay [flags]   (every flag also has an environment variable; flags win)",
  "  RELAY_SECRET (environment only)  HMAC key shared with the worker",
  ...SETTINGS.map((s) => `  --${s.flag} / ${s.env}  ${s.help}`),
].join("\n");

/** Options from argv (without node and script) and the environment; throws a message naming the bad flag or variable. */
export function optionsFromArgs(argv: readonly string[], env: NodeJS.ProcessEnv): RelayOptions {
  if (argv.some((a) => a === "--relay-secret" || a.startsWith("--relay-secret="))) {
    throw new Error("the relay secret is read from the RELAY_SECRET environment variable only");
  }
  const { values } = parseArgs({
    args: [...argv],
    options: Object.fromEntries(SETTINGS.map((s) => [s.flag, { type: "string" as const }])),
    strict: true,
    allowPositionals: false,
  });
  const options: Record<string, unknown> = { relaySecret: env.RELAY_SECRET ?? "" };
  for (const s of SETTINGS) {
    const flagValue = values[s.flag];
    const text = typeof flagValue === "string" ? flagValue : env[s.env];
    if (text === undefined) continue;
    try {
      options[s.key] = s.parse(text);
    } catch (e) {
      const source = typeof flagValue === "string" ? `--${s.flag}` : s.env;
      throw new Error(`${source}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (options.kubeconfigPath === undefined && options.inCluster === undefined && env.KUBERNETES_SERVICE_HOST) options.inCluster = true;
  // LOG_LEVEL is the name the worker reads too; RELAY_LOG_LEVEL and --log-level win over it.
  if (options.logLevel === undefined && env.LOG_LEVEL) options.logLevel = env.LOG_LEVEL;
  return options as RelayOptions;
}
