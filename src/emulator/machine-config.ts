import { isIP } from "node:net";
import { z } from "zod";
import { formatGoDuration, parseGoDuration } from "./durations";
import { badRequest } from "./errors";

/**
 * The parts of `fly.MachineConfig` the emulator checks or acts on. Objects are loose: fields the
 * emulator does not interpret are kept and echoed back untouched.
 */
export const STOP_SIGNALS = ["SIGHUP", "SIGINT", "SIGQUIT", "SIGKILL", "SIGUSR1", "SIGUSR2", "SIGTERM"] as const;

const requiredString = z.string({ error: (iss) => (iss.input === undefined ? "required" : "expected a string") }).min(1, "required");
const duration = z.union([z.string(), z.number().int()], { error: "expected a Go duration string or integer nanoseconds" });
const port = z.number().int().min(1).max(65535);
const argv = z.array(z.string());
const isIpAddress = (s: string): boolean => isIP(s) !== 0;

const checkSchema = z.looseObject({
  type: z.enum(["tcp", "http"]).optional(),
  port: port.optional(),
  interval: duration.optional(),
  timeout: duration.optional(),
  grace_period: duration.optional(),
  kind: z.enum(["informational", "readiness"]).optional(),
  method: z.string().optional(),
  path: z.string().optional(),
  protocol: z.enum(["http", "https"]).optional(),
});

const serviceSchema = z.looseObject({
  protocol: z.enum(["tcp", "udp"]).optional(),
  internal_port: port.optional(),
  autostart: z.boolean().optional(),
  autostop: z.union([z.boolean(), z.enum(["off", "stop", "suspend"])]).optional(),
  ports: z.array(z.looseObject({ port: port.optional(), start_port: port.optional(), end_port: port.optional(), handlers: z.array(z.string()).optional(), force_https: z.boolean().optional() })).optional(),
  checks: z.array(checkSchema).optional(),
  concurrency: z.looseObject({ type: z.enum(["connections", "requests"]).optional(), soft_limit: z.number().int().optional(), hard_limit: z.number().int().optional() }).optional(),
  min_machines_running: z.number().int().nonnegative().optional(),
});

const guestSchema = z.looseObject({
  cpu_kind: z.enum(["shared", "performance"]).optional(),
  cpus: z.number().int().positive().optional(),
  memory_mb: z.number().int().positive().optional(),
  gpu_kind: z.string().optional(),
  gpus: z.number().int().nonnegative().optional(),
  kernel_args: z.array(z.string()).optional(),
});

const restartSchema = z.looseObject({
  policy: z.enum(["no", "always", "on-failure"]).optional(),
  max_retries: z.number().int().nonnegative().optional(),
});

const stopConfigSchema = z.looseObject({ signal: z.enum(STOP_SIGNALS).optional(), timeout: duration.optional() });

const absolutePath = requiredString.refine((p) => p.startsWith("/"), "must be an absolute path");
/** Standard base64 with padding, as Go's `encoding/base64.StdEncoding` decodes it. */
export const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** "It must be a valid environment variable name" (S, `fly.MachineSecret.env_var`). */
const envVarName = z.string({ error: "required" }).regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a valid environment variable name");
const secretRefSchema = z.looseObject({ env_var: envVarName, name: z.string().min(1).optional() });
const envFromSchema = z.looseObject({ env_var: envVarName, field_ref: z.enum(["id", "version", "app_name", "private_ip", "region", "image"]) });

const fileSchema = z
  .looseObject({
    guest_path: absolutePath,
    raw_value: z.string().regex(BASE64, "must be base64-encoded").optional(),
    secret_name: z.string().optional(),
    image_config: z.string().optional(),
    mode: z.number().int().nonnegative().optional(),
  })
  .refine((f) => [f.raw_value, f.secret_name, f.image_config].filter((v) => v !== undefined).length === 1, "exactly one of raw_value, secret_name or image_config must be set");

const containerSchema = z.looseObject({
  name: requiredString,
  image: requiredString,
  cmd: argv.optional(),
  entrypoint: argv.optional(),
  exec: argv.optional(),
  env: z.record(z.string(), z.string()).optional(),
  env_from: z.array(envFromSchema).optional(),
  secrets: z.array(secretRefSchema).optional(),
  files: z.array(fileSchema).optional(),
  mounts: z.array(z.looseObject({ name: requiredString, path: absolutePath })).optional(),
  depends_on: z.array(z.looseObject({ name: requiredString, condition: z.enum(["started", "healthy", "exited_successfully"]) })).optional(),
  restart: restartSchema.optional(),
  stop: stopConfigSchema.optional(),
  healthchecks: z.array(z.looseObject({})).optional(),
});

/** `fly.DNSConfig`: what the machine's resolver uses (written to its /etc/resolv.conf at boot). */
const dnsSchema = z.looseObject({
  nameservers: z.array(z.string().refine(isIpAddress, "expected an IP address")).optional(),
  searches: z.array(z.string().min(1, "required")).optional(),
  options: z.array(z.looseObject({ name: requiredString, value: z.string().optional() })).optional(),
  dns_forward_rules: z.array(z.looseObject({ basename: requiredString, addr: requiredString })).optional(),
  hostname: z.string().optional(),
  hostname_fqdn: z.string().optional(),
  skip_registration: z.boolean().optional(),
});

const processSchema = z.looseObject({
  env: z.record(z.string(), z.string()).optional(),
  env_from: z.array(envFromSchema).optional(),
  ignore_app_secrets: z.boolean().optional(),
  secrets: z.array(secretRefSchema).optional(),
});

/** fly-go's temp-dir volume (absent from S): containers mount it by name. */
const tempDirVolumeSchema = z.looseObject({
  name: requiredString,
  temp_dir: z.looseObject({ storage_type: z.enum(["disk", "memory"]).optional(), size_mb: z.number().int().positive().optional() }).optional(),
});

export const machineConfigSchema = z.looseObject({
  image: requiredString,
  env: z.record(z.string(), z.string()).optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  init: z.looseObject({ exec: argv.optional(), entrypoint: argv.optional(), cmd: argv.optional(), tty: z.boolean().optional() }).optional(),
  guest: guestSchema.optional(),
  size: z.string().optional(),
  services: z.array(serviceSchema).optional(),
  checks: z.record(z.string(), checkSchema).optional(),
  mounts: z.array(z.looseObject({ volume: requiredString, path: absolutePath })).max(1, "a machine mounts at most one volume").optional(),
  processes: z.array(processSchema).optional(),
  volumes: z.array(tempDirVolumeSchema).optional(),
  restart: restartSchema.optional(),
  stop_config: stopConfigSchema.optional(),
  files: z.array(fileSchema).optional(),
  containers: z.array(containerSchema).optional(),
  auto_destroy: z.boolean().optional(),
  schedule: z.enum(["hourly", "daily", "weekly", "monthly"]).optional(),
  dns: dnsSchema.optional(),
}, { error: (iss) => (iss.input === undefined ? "required" : "expected an object") });
export type MachineConfig = z.infer<typeof machineConfigSchema>;
type Guest = NonNullable<MachineConfig["guest"]>;

const SHARED = { cpus: [1, 2, 4, 6, 8], minPerCpu: 256, maxPerCpu: 2048, step: 256 };
const PERFORMANCE = { cpus: [1, 2, 4, 6, 8, 10, 12, 14, 16], minPerCpu: 2048, maxPerCpu: 8192, step: 2048 };

/** Preset sizes (`config.size`, deprecated) as guests: shared-cpu-Nx = N × 256 MB, performance-Nx = N × 2048 MB. */
function presetGuest(size: string): Guest | undefined {
  const m = /^(shared-cpu|performance)-(\d+)x$/.exec(size);
  if (!m) return undefined;
  const shared = m[1] === "shared-cpu";
  const rules = shared ? SHARED : PERFORMANCE;
  const cpus = Number(m[2]);
  if (!rules.cpus.includes(cpus)) return undefined;
  return { cpu_kind: shared ? "shared" : "performance", cpus, memory_mb: cpus * rules.minPerCpu };
}

/** Fills guest defaults (shared-cpu-1x) and enforces Fly's CPU/memory combinations (machine sizing docs). */
export function resolveGuest(config: MachineConfig): Guest {
  if (config.size !== undefined && config.guest !== undefined) throw badRequest("invalid config.size: config.size and config.guest are mutually exclusive");
  if (config.size !== undefined) {
    const preset = presetGuest(config.size);
    if (!preset) throw badRequest(`invalid config.size: unknown preset ${JSON.stringify(config.size)}`);
    return preset;
  }
  const guest = config.guest ?? {};
  if (guest.gpu_kind !== undefined || (guest.gpus ?? 0) > 0) throw badRequest("invalid config.guest.gpu_kind: Fly GPUs are deprecated and no longer available");
  const kind = guest.cpu_kind ?? "shared";
  const rules = kind === "shared" ? SHARED : PERFORMANCE;
  const cpus = guest.cpus ?? 1;
  if (!rules.cpus.includes(cpus)) throw badRequest(`invalid config.guest.cpus: ${cpus} is not one of ${rules.cpus.join(", ")} for cpu_kind ${kind}`);
  const memory = guest.memory_mb ?? cpus * rules.minPerCpu;
  if (memory % rules.step !== 0) throw badRequest(`invalid config.guest.memory_mb: ${memory} is not a multiple of ${rules.step} for cpu_kind ${kind}`);
  if (memory < cpus * rules.minPerCpu || memory > cpus * rules.maxPerCpu) {
    throw badRequest(`invalid config.guest.memory_mb: ${memory} is outside ${cpus * rules.minPerCpu}..${cpus * rules.maxPerCpu} for ${cpus} ${kind} cpu(s)`);
  }
  return { ...guest, cpu_kind: kind, cpus, memory_mb: memory };
}

function durationString(value: string | number | undefined, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "number") return formatGoDuration(value);
  if (parseGoDuration(value) === undefined) throw badRequest(`invalid ${field}: ${JSON.stringify(value)} is not a duration`);
  return value;
}

type Timed = { interval?: string | number; timeout?: string | number; grace_period?: string | number };
function normalizeCheck<T extends Timed>(check: T, field: string): T {
  const out = { ...check };
  for (const key of ["interval", "timeout", "grace_period"] as const) {
    const v = durationString(check[key], `${field}.${key}`);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

function checkContainers(containers: NonNullable<MachineConfig["containers"]>, volumes: MachineConfig["volumes"]): void {
  const volumeNames = new Set((volumes ?? []).map((v) => v.name));
  containers.forEach((c, i) =>
    c.mounts?.forEach((m, j) => {
      if (!volumeNames.has(m.name)) throw badRequest(`invalid config.containers[${i}].mounts[${j}].name: no volume named ${JSON.stringify(m.name)} in config.volumes`);
    }),
  );
  const names = new Set<string>();
  containers.forEach((c, i) => {
    if (names.has(c.name)) throw badRequest(`invalid config.containers[${i}].name: duplicate container name ${JSON.stringify(c.name)}`);
    names.add(c.name);
  });
  containers.forEach((c, i) =>
    c.depends_on?.forEach((d, j) => {
      if (!names.has(d.name)) throw badRequest(`invalid config.containers[${i}].depends_on[${j}].name: no container named ${JSON.stringify(d.name)}`);
    }),
  );
}

/**
 * The config as Fly stores and echoes it: guest filled in, durations as Go strings, service
 * `autostop` as Fly answers it (false/true for off/stop, the string for suspend).
 */
export function normalizeMachineConfig(input: MachineConfig): MachineConfig {
  const config = structuredClone(input);
  config.guest = resolveGuest(config);
  if (config.stop_config?.timeout !== undefined) config.stop_config.timeout = durationString(config.stop_config.timeout, "config.stop_config.timeout");
  if (config.checks) {
    for (const [name, check] of Object.entries(config.checks)) config.checks[name] = normalizeCheck(check, `config.checks.${name}`);
  }
  config.services?.forEach((service, i) => {
    if (service.autostop === "off") service.autostop = false;
    else if (service.autostop === "stop") service.autostop = true;
    service.checks = service.checks?.map((check, j) => normalizeCheck(check, `config.services[${i}].checks[${j}]`));
  });
  if (config.containers) {
    checkContainers(config.containers, config.volumes);
    config.containers.forEach((c, i) => {
      if (c.stop?.timeout !== undefined) c.stop.timeout = durationString(c.stop.timeout, `config.containers[${i}].stop.timeout`);
    });
  }
  return config;
}
