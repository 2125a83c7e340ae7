import { imageRef } from "./image-ref";
import type { MachineConfig } from "./machine-config";
import type { AppRecord, MachineRecord } from "./model";

type Config = MachineConfig;
type SecretRef = { env_var: string; name?: string };
type EnvFromRef = { env_var: string; field_ref: "id" | "version" | "app_name" | "private_ip" | "region" | "image" };
interface BootFile {
  path: string;
  mode: number;
  content_base64: string;
}

/** Mode of a file that names none (assumed: Fly does not document it). */
const DEFAULT_FILE_MODE = 0o644;

/**
 * What the machine would see at boot (contract: `GET /_emulator/apps/{app}/machines/{id}/boot`),
 * resolved from its current config, the app secrets it got at its last create or update, and its
 * volume. Precedence, lowest first (assumed where undocumented; see README): Fly's runtime
 * variables, machine `env`, process (or container) `env`, `env_from`, then secrets.
 */
export function bootView(app: AppRecord, m: MachineRecord) {
  const config = m.config;
  const process = config.processes?.[0];
  const seesAppSecrets = !(config.processes ?? []).some((p) => p.ignore_app_secrets);
  const base = { ...runtimeEnv(app, m), ...config.env };
  const env = {
    ...base,
    ...process?.env,
    ...fromFields(app, m, process?.env_from),
    ...secretEnv(m, seesAppSecrets, process?.secrets),
  };
  const containers = Object.fromEntries(
    (config.containers ?? []).map((c) => [
      c.name,
      {
        env: { ...base, ...c.env, ...fromFields(app, m, c.env_from), ...secretEnv(m, seesAppSecrets, c.secrets ?? process?.secrets) },
        files: files(m, c.files),
      },
    ]),
  );
  const mounts = (config.mounts ?? []).map((mount) => ({ path: mount.path, volume_id: mount.volume, size_gb: app.volumes.get(mount.volume)?.sizeGb ?? mount.size_gb ?? 0 }));
  return { env, files: files(m, config.files), mounts, dns: config.dns ?? {}, containers };
}

/**
 * Fly's runtime environment (D `reference/runtime-environment`): set in every machine. `FLY_PROCESS_GROUP`
 * only where the machine has a process group.
 */
function runtimeEnv(app: AppRecord, m: MachineRecord): Record<string, string> {
  const image = imageRef(m.config.image);
  return {
    FLY_APP_NAME: app.name,
    FLY_MACHINE_ID: m.id,
    FLY_ALLOC_ID: m.id,
    FLY_REGION: m.region,
    FLY_PRIVATE_IP: m.privateIp,
    FLY_MACHINE_VERSION: m.version,
    FLY_IMAGE_REF: `${image.registry}/${image.repository}${image.tag ? `:${image.tag}` : ""}@${image.digest}`,
    FLY_VM_MEMORY_MB: String(m.config.guest?.memory_mb ?? 256),
    ...(m.config.metadata?.fly_process_group ? { FLY_PROCESS_GROUP: m.config.metadata.fly_process_group } : {}),
  };
}

function fromFields(app: AppRecord, m: MachineRecord, refs: EnvFromRef[] | undefined): Record<string, string> {
  const value = { id: m.id, version: m.version, app_name: app.name, private_ip: m.privateIp, region: m.region, image: m.config.image };
  return Object.fromEntries((refs ?? []).map((r) => [r.env_var, value[r.field_ref]]));
}

/**
 * Every app secret under its own name unless a process ignores app secrets (S `fly.MachineProcess`),
 * then the listed ones under their `env_var`. Secrets created after the machine's last launch are
 * not seen, and a listed one deleted since stays as it was (the machine keeps its copy).
 */
function secretEnv(m: MachineRecord, seesAppSecrets: boolean, listed: SecretRef[] | undefined): Record<string, string> {
  const out: Record<string, string> = seesAppSecrets ? Object.fromEntries(m.secrets) : {};
  for (const s of listed ?? []) {
    const value = m.secrets.get(s.name ?? s.env_var);
    if (value !== undefined) out[s.env_var] = value;
  }
  return out;
}

/** `raw_value` as given; `secret_name` from the secret, which holds base64; `image_config` as `{}` (images are never pulled). */
function files(m: MachineRecord, list: Config["files"]): BootFile[] {
  return (list ?? []).map((f) => ({
    path: f.guest_path,
    mode: f.mode ?? DEFAULT_FILE_MODE,
    content_base64: f.raw_value ?? (f.secret_name !== undefined ? m.secrets.get(f.secret_name) ?? "" : btoa("{}")),
  }));
}
