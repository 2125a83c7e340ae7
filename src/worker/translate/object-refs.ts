import type { Pod } from "../../shared/k8s";
import type { ConfigMapData, SecretKeys, TranslateContext } from "./context";
import type { FindingsLog } from "./findings";
import { secretKeyToFlySecretNames, type FlySecretNames } from "./fly-secret-name";

/** Where a reference is used: env waits as `CreateContainerConfigError`, a volume as `ContainerCreating` (kubelet). */
export type Use = { env: true } | { volume: string };
type Kind = "Secret" | "ConfigMap";

export interface RefInputs {
  pod: Pod;
  ctx: TranslateContext;
  log: FindingsLog;
  /** raised to the Fly secrets version every used key needs (`min_secrets_version`) */
  secrets: { version: number };
}

/** Kubernetes caps a ConfigMap (data plus binaryData, keys included) at 1 MiB (`MaxSecretSize`, validation.go). */
export const CONFIG_MAP_MAX_BYTES = 1 << 20;

function waitFor(log: FindingsLog, use: Use, kubelet: string, mount: string): void {
  if ("env" in use) log.wait("CreateContainerConfigError", kubelet);
  else log.wait("ContainerCreating", `MountVolume.SetUp failed for volume "${use.volume}" : ${mount}`);
}

/** The lookup, or undefined after reporting that this translation has none. */
function lookup<T>(inp: RefInputs, kind: Kind, at: string): ((ns: string, name: string) => T | undefined) | undefined {
  const fn = (kind === "Secret" ? inp.ctx.secret : inp.ctx.configMap) as ((ns: string, name: string) => T | undefined) | undefined;
  if (!fn) inp.log.notHonoured(at, `${kind} values are not available to this translation`);
  return fn;
}

/**
 * The object a reference names; undefined when it is missing (the pod waits, unless `optional`),
 * held without its data because it is too large (the pod waits), or cannot be looked up (reported).
 */
function find<T>(inp: RefInputs, kind: Kind, name: string, optional: boolean | undefined, at: string, use: Use): T | undefined {
  const fn = lookup<T>(inp, kind, at);
  if (!fn) return undefined;
  const found = fn(inp.pod.metadata.namespace, name);
  const oversized = found !== undefined ? inp.ctx.oversized?.(kind, inp.pod.metadata.namespace, name) : undefined;
  if (oversized !== undefined) {
    // Kubernetes would mount it; machinelet holds it without its data. Waits even when optional: it exists.
    const what = `${kind} "${name}" is too large for machinelet (${oversized})`;
    waitFor(inp.log, use, what, what);
    return undefined;
  }
  if (found === undefined && !optional) {
    const what = `${kind === "Secret" ? "secret" : "configmap"} "${name}" not found`;
    waitFor(inp.log, use, what, what);
  }
  return found;
}

export const findSecret = (inp: RefInputs, name: string, optional: boolean | undefined, at: string, use: Use) =>
  find<SecretKeys>(inp, "Secret", name, optional, at, use);

/** A ConfigMap, refused (an error) beyond Kubernetes' size cap. */
export function findConfigMap(inp: RefInputs, name: string, optional: boolean | undefined, at: string, use: Use): ConfigMapData | undefined {
  const cm = find<ConfigMapData>(inp, "ConfigMap", name, optional, at, use);
  if (cm && configMapBytes(cm) > CONFIG_MAP_MAX_BYTES) {
    inp.log.error(at, `ConfigMap "${name}" holds ${configMapBytes(cm)} bytes; Kubernetes caps a ConfigMap at ${CONFIG_MAP_MAX_BYTES} bytes`);
    return undefined;
  }
  return cm;
}

/** A key a reference needs is not in its object: the pod waits, unless `optional`. */
export function missingKey(inp: RefInputs, kind: Kind, name: string, key: string, use: Use): void {
  const ns = inp.pod.metadata.namespace;
  const kubelet = `couldn't find key ${key} in ${kind} ${ns}/${name}`;
  waitFor(inp.log, use, kubelet, `${kind === "Secret" ? "references non-existent secret" : "configmap references non-existent config"} key: ${key}`);
}

/**
 * The Fly app secrets holding `key` of Secret `name` (which has it), raising the secrets version the
 * Machine needs; undefined while they are not written yet (the pod waits for them).
 */
export function flySecretFor(inp: RefInputs, name: string, keys: SecretKeys, key: string, use: Use): FlySecretNames | undefined {
  const version = keys[key];
  const ns = inp.pod.metadata.namespace;
  if (version === undefined) {
    inp.log.wait("volume" in use ? "ContainerCreating" : "CreateContainerConfigError", `key ${key} of Secret ${ns}/${name} is not stored in Fly yet`);
    return undefined;
  }
  inp.secrets.version = Math.max(inp.secrets.version, version);
  return secretKeyToFlySecretNames(ns, name, key);
}

function configMapBytes(cm: ConfigMapData): number {
  const utf8 = (s: string) => new TextEncoder().encode(s).length;
  let n = 0;
  for (const [k, v] of Object.entries(cm.data ?? {})) n += utf8(k) + utf8(v);
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) n += utf8(k) + Math.floor((v.length * 3) / 4) - (v.endsWith("==") ? 2 : v.endsWith("=") ? 1 : 0);
  return n;
}
