import type { Container, PodSpec } from "../../shared/k8s";
import type { FindingsLog } from "./findings";

type Severity = "error" | "unsupported" | "warning";
interface Rule<T> {
  field: string;
  applies(x: T): boolean;
  severity: Severity;
  why: string;
}

const NOT_ENFORCED = "not enforced on a Fly Machine";
const set = (v: unknown[] | undefined) => (v?.length ?? 0) > 0;

/**
 * Pod fields a Machine cannot honour. Fields that only matter to the scheduler or the API server
 * (affinity, tolerations, priority, serviceAccountName, ...) and the API server's defaults
 * (dnsPolicy, enableServiceLinks, schedulerName, ...) are not listed: they change nothing a
 * Machine could do.
 */
const POD_RULES: Rule<PodSpec>[] = [
  { field: "os.name", applies: (s) => s.os !== undefined && s.os.name !== "linux", severity: "error", why: "Fly Machines run Linux" },
  { field: "hostNetwork", applies: (s) => s.hostNetwork === true, severity: "unsupported", why: "a Machine has its own network; there is no host network" },
  { field: "hostPID", applies: (s) => s.hostPID === true, severity: "unsupported", why: "there is no host PID namespace" },
  { field: "hostIPC", applies: (s) => s.hostIPC === true, severity: "unsupported", why: "there is no host IPC namespace" },
  { field: "shareProcessNamespace", applies: (s) => s.shareProcessNamespace === true, severity: "unsupported", why: "containers of a Machine do not share a PID namespace" },
  { field: "hostUsers", applies: (s) => s.hostUsers === false, severity: "warning", why: `user namespaces are ${NOT_ENFORCED}` },
  { field: "activeDeadlineSeconds", applies: (s) => s.activeDeadlineSeconds !== undefined, severity: "unsupported", why: "deadlines are not enforced" },
  { field: "hostAliases", applies: (s) => set(s.hostAliases), severity: "unsupported", why: "Fly manages /etc/hosts" },
  { field: "setHostnameAsFQDN", applies: (s) => s.setHostnameAsFQDN === true, severity: "unsupported", why: "the hostname cannot be a cluster FQDN" },
  { field: "imagePullSecrets", applies: (s) => set(s.imagePullSecrets), severity: "unsupported", why: "Fly pulls images without pod pull secrets" },
  { field: "ephemeralContainers", applies: (s) => set(s.ephemeralContainers), severity: "unsupported", why: "ephemeral containers cannot be added to a Machine" },
  { field: "resourceClaims", applies: (s) => set(s.resourceClaims), severity: "unsupported", why: "dynamic resource allocation is not available" },
  { field: "securityContext.sysctls", applies: (s) => set(s.securityContext?.sysctls), severity: "unsupported", why: "sysctls are not available" },
  { field: "securityContext.windowsOptions", applies: (s) => s.securityContext?.windowsOptions !== undefined, severity: "unsupported", why: "Fly Machines run Linux" },
  ...(["fsGroup", "fsGroupChangePolicy", "supplementalGroups", "runAsNonRoot", "seccompProfile", "appArmorProfile", "seLinuxOptions"] as const).map(
    (f): Rule<PodSpec> => ({ field: `securityContext.${f}`, applies: (s) => s.securityContext?.[f] !== undefined, severity: "warning", why: NOT_ENFORCED }),
  ),
];

/** Container fields a Machine cannot honour; `tty` only in `containers[]` form. */
const CONTAINER_RULES: Rule<Container>[] = [
  { field: "workingDir", applies: (c) => c.workingDir !== undefined, severity: "unsupported", why: "Fly runs the image's working directory" },
  { field: "lifecycle.postStart", applies: (c) => c.lifecycle?.postStart !== undefined, severity: "unsupported", why: "lifecycle hooks are not available" },
  { field: "lifecycle.preStop", applies: (c) => c.lifecycle?.preStop !== undefined, severity: "unsupported", why: "lifecycle hooks are not available" },
  { field: "stdin", applies: (c) => c.stdin === true, severity: "unsupported", why: "a Machine's standard input cannot be attached" },
  { field: "stdinOnce", applies: (c) => c.stdinOnce === true, severity: "unsupported", why: "a Machine's standard input cannot be attached" },
  { field: "volumeDevices", applies: (c) => set(c.volumeDevices), severity: "unsupported", why: "block devices are not available" },
  { field: "restartPolicyRules", applies: (c) => set(c.restartPolicyRules), severity: "unsupported", why: "per-exit-code restart rules are not available" },
  { field: "resources.claims", applies: (c) => set(c.resources?.claims), severity: "unsupported", why: "dynamic resource allocation is not available" },
  { field: "securityContext.privileged", applies: (c) => c.securityContext?.privileged === true, severity: "unsupported", why: "privileged containers are not available" },
  { field: "securityContext.capabilities.add", applies: (c) => set(c.securityContext?.capabilities?.add), severity: "unsupported", why: "added capabilities are not available" },
  { field: "securityContext.procMount", applies: (c) => (c.securityContext?.procMount ?? "Default") !== "Default", severity: "unsupported", why: "only the default /proc mount is available" },
  { field: "securityContext.windowsOptions", applies: (c) => c.securityContext?.windowsOptions !== undefined, severity: "unsupported", why: "Fly Machines run Linux" },
  { field: "securityContext.capabilities.drop", applies: (c) => set(c.securityContext?.capabilities?.drop), severity: "warning", why: NOT_ENFORCED },
  ...(["allowPrivilegeEscalation", "readOnlyRootFilesystem", "runAsNonRoot", "seccompProfile", "appArmorProfile", "seLinuxOptions"] as const).map(
    (f): Rule<Container> => ({ field: `securityContext.${f}`, applies: (c) => c.securityContext?.[f] !== undefined, severity: "warning", why: NOT_ENFORCED }),
  ),
];

const PORT_RULES: Rule<NonNullable<Container["ports"]>[number]>[] = [
  { field: "hostPort", applies: (p) => p.hostPort !== undefined && p.hostPort !== 0, severity: "unsupported", why: "there are no host ports; expose ports through a Service" },
  { field: "hostIP", applies: (p) => p.hostIP !== undefined, severity: "unsupported", why: "there are no host ports" },
];

export function reportPodFields(spec: PodSpec, log: FindingsLog): void {
  apply(POD_RULES, spec, "spec", log);
}

export function reportContainerFields(c: Container, path: string, log: FindingsLog): void {
  apply(CONTAINER_RULES, c, path, log);
  (c.ports ?? []).forEach((p, i) => apply(PORT_RULES, p, `${path}.ports[${i}]`, log));
}

function apply<T>(rules: Rule<T>[], x: T, path: string, log: FindingsLog): void {
  for (const r of rules) {
    if (!r.applies(x)) continue;
    const at = `${path}.${r.field}`;
    if (r.severity === "error") log.error(at, r.why);
    else if (r.severity === "unsupported") log.notHonoured(at, r.why);
    else log.warn(at, r.why);
  }
}
