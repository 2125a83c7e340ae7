import { invalidImageMessage, parseImageReference } from "../../shared/image-reference";
import type { Container, Pod, PodSpec, RestartPolicy } from "../../shared/k8s";
import type { TranslateContext } from "./context";
import { containerEnv, type ContainerEnv } from "./env";
import { FindingsLog, type Waiting } from "./findings";
import { STOP_SIGNALS, type ContainerConfig, type ContainerHealthcheck, type MachineCheck, type MachineConfig, type MachineGuest, type StopSignal } from "../../machines/machine-config";
import { MACHINE_METADATA } from "./machine-facts";
import { machineNameForPod } from "./machine-name";
import { podDnsConfig } from "./pod-dns";
import { podToMachineServices } from "./service-backends";
import { podServiceEnv } from "./service-env";
import { PROBE_KINDS, probeCheckName, probeOf, probeToHealthcheck, probeToMachineCheck } from "./probes";
import { resourcesToGuest } from "./resources-to-guest";
import { reportContainerFields, reportPodFields } from "./unhonoured-fields";
import { REGION_ANNOTATION } from "./region";
import { needsTempDir, planVolumes, type VolumePlan } from "./volumes";

export { REGION_ANNOTATION } from "./region";

const RESTART: Record<RestartPolicy, "always" | "on-failure" | "no"> = { Always: "always", OnFailure: "on-failure", Never: "no" };
const DEFAULT_GRACE_SECONDS = 30;
const FALLBACK_GUEST: MachineGuest = { cpu_kind: "shared", cpus: 1, memory_mb: 256 };

/**
 * Fly documents no size limit for a machine config; machinelet keeps one under 1 MiB of JSON (assumed,
 * README "Sizing"), so a pod whose ConfigMap files or env would exceed it is refused with that reason.
 */
export const MACHINE_CONFIG_MAX_BYTES = 1 << 20;

export type PodTranslation =
  | {
      ok: true;
      name: string;
      region?: string;
      config: MachineConfig;
      /** `min_secrets_version` for create and update: the Fly secrets version every secret the pod uses needs (0: none) */
      minSecretsVersion: number;
      unsupported: string[];
      warnings: string[];
    }
  /** `errors` empty and `waiting` set: the pod can start once what it waits for arrives */
  | { ok: false; errors: string[]; waiting: Waiting[]; unsupported: string[]; warnings: string[] };

type Role = "init" | "sidecar" | "app";
interface PodContainer {
  c: Container;
  path: string;
  role: Role;
}

/**
 * Translates a pod into the Machine that runs it (contract: primitive mapping). Pure: the same
 * pod and context always give the same result, and the config holds nothing that changes without
 * the Machine needing to change (no labels, annotations or resource versions; only the four
 * contract metadata keys).
 *
 * Every Machine sees only the Fly app secrets its pod references: `processes[0].ignore_app_secrets`
 * is always set, and the referenced keys are listed per process (classic form) or per container.
 *
 * Two shapes:
 * - one container, no init containers, and nothing below that only `containers[]` offers: the
 *   classic Machine (`image`, `init.entrypoint` = command, `init.cmd` = args, `env`, `files`,
 *   `mounts`, machine `checks`; `processes[0]` carries secrets, `env_from` (the pod IP) and `user`);
 * - otherwise `containers[]`: init containers first, each waiting for the one before it
 *   (`exited_successfully`, or for a native sidecar `started`, `healthy` when it has a startup or
 *   readiness probe), app containers waiting for the last of them; probes become container
 *   healthchecks; the top-level `image` is the first app container's. What only `containers[]`
 *   offers: exec healthchecks and temp-dir mounts (an emptyDir with `medium: Memory` or a
 *   `sizeLimit`; a plain emptyDir of a single container is a directory of the root filesystem).
 *
 * `restartPolicy` -> `restart.policy`; `terminationGracePeriodSeconds` (default 30) ->
 * `stop_config {SIGTERM, "<n>s"}`; the Service variables of the Services that existed when the pod
 * was created (podServiceEnv); annotation `fly.io/region` -> region; resources -> `guest`
 * (see resourcesToGuest); `dnsPolicy`, `dnsConfig`, hostname and subdomain -> `dns` (podDnsConfig).
 * Whatever is not honoured is listed in `unsupported`/`warnings`; nothing is dropped silently.
 */
export function podToMachineConfig(pod: Pod, ctx: TranslateContext): PodTranslation {
  const log = new FindingsLog();
  const { spec, metadata } = pod;
  reportPodFields(spec, log);

  const sizing = resourcesToGuest(spec, metadata.annotations);
  log.errors.push(...sizing.errors);
  log.unsupported.push(...sizing.unsupported);
  log.warnings.push(...sizing.warnings);
  const guest = sizing.guest ?? FALLBACK_GUEST;

  const region = metadata.annotations?.[REGION_ANNOTATION];
  if (region !== undefined && !/^[a-z]{3}$/.test(region)) {
    log.error(`metadata.annotations["${REGION_ANNOTATION}"]`, `expected a Fly region code such as "ams", got ${JSON.stringify(region)}`);
  }

  const containers = podContainers(spec, log);
  for (const { c, path } of containers) {
    // The kubelet pulls before it builds the container's config: a bad reference is reported first.
    const image = parseImageReference(c.image);
    if (!image.ok) log.wait("InvalidImageName", invalidImageMessage(c.image, image.error));
    reportContainerFields(c, path, log);
  }
  const multi = needsContainers(spec);
  const secrets = { version: 0 };
  const volumes = planVolumes({ pod, ctx, guest, log, secrets, containers, containersForm: multi });
  const serviceEnv = podServiceEnv(pod, ctx, log);
  const envs = new Map(containers.map(({ c, path }) => [c.name, containerEnv(c, path, { pod, ctx, guest, log, secrets, serviceEnv })]));
  const grace = spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;

  const config: MachineConfig = {
    guest,
    metadata: {
      [MACHINE_METADATA.cluster]: ctx.cluster,
      [MACHINE_METADATA.podUid]: metadata.uid,
      [MACHINE_METADATA.namespace]: metadata.namespace,
      [MACHINE_METADATA.pod]: metadata.name,
    },
    restart: { policy: RESTART[spec.restartPolicy ?? "Always"] },
    stop_config: { signal: "SIGTERM", timeout: `${grace}s` },
    dns: podDnsConfig(pod, ctx.clusterDns, log),
    ...(volumes.mounts.length ? { mounts: volumes.mounts } : {}),
  };
  if (multi) Object.assign(config, containersForm(containers, envs, volumes, spec, log));
  else Object.assign(config, machineForm(containers[0]!, envs.get(containers[0]!.c.name)!, volumes, spec, config.stop_config!, log));

  if (ctx.services && ctx.appPort) {
    const backends = podToMachineServices(pod, ctx.services(metadata.namespace), ctx.appPort);
    if (backends.services.length) config.services = backends.services;
    log.warnings.push(...backends.findings);
  }
  const bytes = new TextEncoder().encode(JSON.stringify(config)).length;
  if (bytes > MACHINE_CONFIG_MAX_BYTES) {
    log.error("spec", `the Machine config would be ${bytes} bytes (ConfigMap files and values travel inside it); machinelet keeps it under ${MACHINE_CONFIG_MAX_BYTES} bytes`);
  }
  const { unsupported, warnings, waiting } = log;
  if (log.errors.length || waiting.length) return { ok: false, errors: log.errors, waiting, unsupported, warnings };
  const at = region ?? volumes.region;
  return { ok: true, name: machineNameForPod(metadata), ...(at ? { region: at } : {}), config, minSecretsVersion: secrets.version, unsupported, warnings };
}

/** Init containers (and native sidecars) first, in order, then the app containers. */
function podContainers(spec: PodSpec, log: FindingsLog): PodContainer[] {
  const init = (spec.initContainers ?? []).map((c, i): PodContainer => {
    const path = `spec.initContainers[${i}]`;
    if (c.restartPolicy && c.restartPolicy !== "Always") log.notHonoured(`${path}.restartPolicy`, "only Always (a native sidecar) is available for init containers");
    if (c.restartPolicy === "Always" && (spec.restartPolicy ?? "Always") !== "Always") {
      log.notHonoured(`${path}.restartPolicy`, "a sidecar keeps running after the app containers exit, so the Machine does not complete");
    }
    return { c, path, role: c.restartPolicy === "Always" ? "sidecar" : "init" };
  });
  const app = spec.containers.map((c, i): PodContainer => {
    const path = `spec.containers[${i}]`;
    if (c.restartPolicy) log.notHonoured(`${path}.restartPolicy`, "per-container restart policies are not available; the pod's restartPolicy applies");
    return { c, path, role: "app" };
  });
  return [...init, ...app];
}

/** True when the pod needs the `containers[]` shape (see podToMachineConfig). */
export function needsContainers(spec: PodSpec): boolean {
  if (spec.containers.length > 1 || (spec.initContainers?.length ?? 0) > 0) return true;
  const c = spec.containers[0]!;
  const tempDirs = new Set((spec.volumes ?? []).filter(needsTempDir).map((v) => v.name));
  return PROBE_KINDS.some((k) => probeOf(c, k)?.exec) || (c.volumeMounts ?? []).some((m) => tempDirs.has(m.name));
}

function machineForm(
  pc: PodContainer,
  env: ContainerEnv,
  volumes: VolumePlan,
  spec: PodSpec,
  stop: NonNullable<MachineConfig["stop_config"]>,
  log: FindingsLog,
): Partial<MachineConfig> {
  const { c, path } = pc;
  const checks: Record<string, MachineCheck> = {};
  for (const kind of PROBE_KINDS) {
    const probe = probeOf(c, kind);
    const check = probe && probeToMachineCheck(probe, { kind, c, path, log });
    if (check) checks[probeCheckName(c.name, kind)] = check;
  }
  const signal = stopSignalOf(c, path, log);
  const files = volumes.files.get(c.name) ?? [];
  const user = userOf(c, spec, path, log);
  const init = {
    ...(c.command ? { entrypoint: c.command.map((s, i) => env.expand(s, `${path}.command[${i}]`)) } : {}),
    ...(c.args ? { cmd: c.args.map((s, i) => env.expand(s, `${path}.args[${i}]`)) } : {}),
    ...(c.tty ? { tty: true } : {}),
  };
  return {
    image: c.image,
    ...(Object.keys(init).length ? { init } : {}),
    ...(Object.keys(env.env).length ? { env: env.env } : {}),
    processes: [
      {
        ignore_app_secrets: true,
        ...(env.secrets.length ? { secrets: env.secrets } : {}),
        ...(env.envFrom.length ? { env_from: env.envFrom } : {}),
        ...(user ? { user } : {}),
      },
    ],
    ...(files.length ? { files } : {}),
    ...(Object.keys(checks).length ? { checks } : {}),
    ...(signal ? { stop_config: { ...stop, signal } } : {}),
  };
}

function containersForm(
  containers: PodContainer[],
  envs: Map<string, ContainerEnv>,
  volumes: VolumePlan,
  spec: PodSpec,
  log: FindingsLog,
): Partial<MachineConfig> {
  const podPolicy = RESTART[spec.restartPolicy ?? "Always"];
  // Each init container or sidecar waits for the one before it; app containers wait for the last.
  let before: { name: string; condition: "exited_successfully" | "started" | "healthy" } | undefined;
  const out = containers.map(({ c, path, role }): ContainerConfig => {
    const env = envs.get(c.name)!;
    const healthchecks: ContainerHealthcheck[] = [];
    for (const kind of PROBE_KINDS) {
      const probe = probeOf(c, kind);
      const check = probe && probeToHealthcheck(probe, { kind, c, path, log });
      if (check) healthchecks.push(check);
    }
    if (c.tty) log.notHonoured(`${path}.tty`, "a terminal is only available to single-container Machines");
    const signal = stopSignalOf(c, path, log);
    const user = userOf(c, spec, path, log);
    const files = volumes.files.get(c.name) ?? [];
    const mounts = volumes.containerMounts.get(c.name) ?? [];
    const entry: ContainerConfig = {
      name: c.name,
      image: c.image,
      ...(c.command ? { entrypoint: c.command.map((s, i) => env.expand(s, `${path}.command[${i}]`)) } : {}),
      ...(c.args ? { cmd: c.args.map((s, i) => env.expand(s, `${path}.args[${i}]`)) } : {}),
      ...(Object.keys(env.env).length ? { env: env.env } : {}),
      ...(env.envFrom.length ? { env_from: env.envFrom } : {}),
      ...(env.secrets.length ? { secrets: env.secrets } : {}),
      ...(files.length ? { files } : {}),
      ...(mounts.length ? { mounts } : {}),
      ...(healthchecks.length ? { healthchecks } : {}),
      ...(before ? { depends_on: [before] } : {}),
      restart: { policy: role === "sidecar" ? "always" : role === "init" ? (podPolicy === "no" ? "no" : "on-failure") : podPolicy },
      ...(signal ? { stop: { signal } } : {}),
      ...(user ? { user } : {}),
    };
    if (role === "sidecar") before = { name: c.name, condition: healthchecks.some((h) => h.kind === "readiness") ? "healthy" : "started" };
    else if (role === "init") before = { name: c.name, condition: "exited_successfully" };
    return entry;
  });
  const main = containers.find((x) => x.role === "app")!.c;
  return {
    image: main.image,
    processes: [{ ignore_app_secrets: true }],
    containers: out,
    ...(volumes.tempDirs.length ? { volumes: volumes.tempDirs } : {}),
  };
}

function stopSignalOf(c: Container, path: string, log: FindingsLog): StopSignal | undefined {
  const signal = c.lifecycle?.stopSignal;
  if (signal === undefined) return undefined;
  if ((STOP_SIGNALS as readonly string[]).includes(signal)) return signal as StopSignal;
  log.notHonoured(`${path}.lifecycle.stopSignal`, `Fly stops with one of ${STOP_SIGNALS.join(", ")}`);
  return undefined;
}

/** `runAsUser[:runAsGroup]`, container settings over the pod's. */
function userOf(c: Container, spec: PodSpec, path: string, log: FindingsLog): string | undefined {
  const uid = c.securityContext?.runAsUser ?? spec.securityContext?.runAsUser;
  const gid = c.securityContext?.runAsGroup ?? spec.securityContext?.runAsGroup;
  if (uid === undefined) {
    if (gid !== undefined) log.notHonoured(`${path}.securityContext.runAsGroup`, "a group needs runAsUser on a Fly Machine");
    return undefined;
  }
  return gid === undefined ? String(uid) : `${uid}:${gid}`;
}
