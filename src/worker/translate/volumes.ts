import { parseQuantity, type Container, type DownwardAPIVolumeFile, type KeyToPath, type Volume, type VolumeProjection } from "../../shared/k8s";
import { REGION_ANNOTATION } from "./region";
import { fieldRefValue, resourceFieldValue, type FieldValue } from "./downward-api";
import type { FindingsLog } from "./findings";
import { findConfigMap, findSecret, flySecretFor, missingKey, type RefInputs, type Use } from "./object-refs";
import type { ContainerMount, MachineConfig, MachineFile, MachineGuest, TempDirVolume } from "../../machines/machine-config";

type MachineMount = NonNullable<MachineConfig["mounts"]>[number];

/** How the pod's volumes land on the Machine. */
export interface VolumePlan {
  /** emptyDir volumes as temp dirs, mounted into containers by name */
  tempDirs: TempDirVolume[];
  /** the Fly Volume bound to the pod's PersistentVolumeClaim (one per Machine) */
  mounts: MachineMount[];
  /** that Volume's region, where the Machine must run */
  region?: string;
  /** per container name */
  containerMounts: Map<string, ContainerMount[]>;
  /** per container name: ConfigMap, Secret and downward-API volume contents as files */
  files: Map<string, MachineFile[]>;
}

/** A file of a volume, relative to the mount point, without its place yet. */
type VolumeFile = { rel: string; mode: number } & ({ raw_value: string } | { secret_name: string });

const DEFAULT_MODE = 0o644;
const SERVICE_ACCOUNT_VOLUME = "kube-api-access-";
/** Sources machinelet maps; any other key names an unmapped source. */
const MAPPED_SOURCES = new Set(["emptyDir", "configMap", "secret", "persistentVolumeClaim", "downwardAPI", "projected"]);

export interface VolumeInputs extends RefInputs {
  guest: MachineGuest;
  /** every container with its field path, init containers first */
  containers: readonly { c: Container; path: string }[];
  /** true for the `containers[]` form, where emptyDir can be a shared temp dir */
  containersForm: boolean;
}

/** An emptyDir that only a temp dir can honour (so the pod needs the `containers[]` form). */
export const needsTempDir = (v: Volume): boolean => v.emptyDir !== undefined && (v.emptyDir.medium === "Memory" || v.emptyDir.sizeLimit !== undefined);

/**
 * Maps each volume mount: emptyDir -> temp dir + container mount in the `containers[]` form, else a
 * plain directory of the Machine's root filesystem; configMap, secret, downwardAPI
 * and projected volumes -> files written at the mount path (a `subPath` picks one file); a
 * persistentVolumeClaim -> the Machine's Fly Volume mount. The API server's automatic
 * `kube-api-access-*` volume is skipped with a warning: a Machine cannot reach the cluster API
 * with a service account token. Other sources are reported unsupported.
 */
export function planVolumes(inputs: VolumeInputs): VolumePlan {
  const { pod, log, containers } = inputs;
  const plan: VolumePlan = { tempDirs: [], mounts: [], containerMounts: new Map(), files: new Map() };
  const volumes = pod.spec.volumes ?? [];
  const reported = new Set<number>();
  const fileCache = new Map<number, VolumeFile[] | undefined>();
  const reportOnce = (vi: number, report: () => void) => {
    if (!reported.has(vi)) report();
    reported.add(vi);
  };

  for (const { c, path } of containers) {
    (c.volumeMounts ?? []).forEach((m, j) => {
      const at = `${path}.volumeMounts[${j}]`;
      const vi = volumes.findIndex((v) => v.name === m.name);
      const vol = volumes[vi];
      if (!vol) return log.error(`${at}.name`, `no volume named "${m.name}"`);
      const vat = `spec.volumes[${vi}]`;
      if (m.mountPropagation && m.mountPropagation !== "None") log.notHonoured(`${at}.mountPropagation`, "mount propagation is not available");
      if (m.subPathExpr) return log.notHonoured(`${at}.subPathExpr`, "subPathExpr is not available");

      if (vol.name.startsWith(SERVICE_ACCOUNT_VOLUME) && vol.projected?.sources?.some((s) => s.serviceAccountToken)) {
        return reportOnce(vi, () => log.warn(vat, "the service account token is not mounted: a Machine cannot reach the cluster API"));
      }
      if (vol.emptyDir) {
        if (!inputs.containersForm) {
          return reportOnce(vi, () => log.warn(`${vat}.emptyDir`, "a directory of the Machine's root filesystem, which Fly resets when the Machine restarts; it exists only if the image has it"));
        }
        if (m.subPath) return log.notHonoured(`${at}.subPath`, "subPath is not available for emptyDir volumes");
        if (m.readOnly) log.warn(`${at}.readOnly`, "temp-dir mounts are writable");
        if (!plan.tempDirs.some((t) => t.name === vol.name)) plan.tempDirs.push(tempDirOf(vol, vat, log));
        return push(plan.containerMounts, c.name, { name: vol.name, path: m.mountPath });
      }
      if (vol.persistentVolumeClaim) {
        if (m.subPath) return log.notHonoured(`${at}.subPath`, "subPath is not available for Fly Volumes");
        return mountClaim(plan, vol, vat, m.mountPath, at, inputs);
      }
      if (vol.configMap || vol.secret || vol.downwardAPI || vol.projected) {
        if (!fileCache.has(vi)) fileCache.set(vi, volumeFiles(vol, vat, inputs));
        const files = fileCache.get(vi);
        if (!files) return;
        if (m.subPath) {
          const f = files.find((x) => x.rel === m.subPath);
          if (!f) return log.notHonoured(`${at}.subPath`, `volume "${vol.name}" has no file "${m.subPath}"`);
          return push(plan.files, c.name, placed(f, m.mountPath));
        }
        for (const f of files) push(plan.files, c.name, placed(f, joinPath(m.mountPath, f.rel)));
        return;
      }
      const source = Object.keys(vol).find((k) => k !== "name" && !MAPPED_SOURCES.has(k)) ?? "this";
      reportOnce(vi, () => log.notHonoured(`${vat}.${source}`, `${source} volumes are not available on Fly Machines`));
    });
  }
  return plan;
}

function tempDirOf(vol: Volume, vat: string, log: FindingsLog): TempDirVolume {
  const memory = vol.emptyDir?.medium === "Memory";
  if (vol.emptyDir?.medium && !memory) log.notHonoured(`${vat}.emptyDir.medium`, `medium ${JSON.stringify(vol.emptyDir.medium)} is not available`);
  const limit = vol.emptyDir?.sizeLimit;
  // fly-go: size_mb is "only applicable when using disk backed storage"; memory is bounded by the guest.
  if (memory && limit !== undefined) log.warn(`${vat}.emptyDir.sizeLimit`, "a memory temp dir is bounded by the Machine's memory, not by sizeLimit");
  const sizeMb = limit !== undefined && !memory ? Math.ceil(parseQuantity(limit) / 2 ** 20) : undefined;
  return { name: vol.name, temp_dir: { storage_type: memory ? "memory" : "disk", ...(sizeMb ? { size_mb: sizeMb } : {}) } };
}

function mountClaim(plan: VolumePlan, vol: Volume, vat: string, path: string, at: string, { pod, ctx, log, containers }: VolumeInputs): void {
  const claim = vol.persistentVolumeClaim!.claimName;
  if (!ctx.volume) return log.notHonoured(`${vat}.persistentVolumeClaim`, "Fly Volumes are not available to this translation");
  const bound = ctx.volume(pod.metadata.namespace, claim);
  if (!bound) return log.wait("ContainerCreating", `waiting for PersistentVolumeClaim "${claim}" to be bound to a Fly Volume`);
  // As the kubelet refuses to start a pod on a claim being deleted; a machine that has it keeps it.
  if (bound.deleting) return log.wait("ContainerCreating", `PersistentVolumeClaim "${claim}" is being deleted: a new Machine does not mount it`);
  const asked = pod.metadata.annotations?.[REGION_ANNOTATION];
  if (asked !== undefined && asked !== bound.region) {
    return log.wait("ContainerCreating", `Fly Volume ${bound.id} of PersistentVolumeClaim "${claim}" is in region ${bound.region}, not ${asked} as the pod asks; a Volume does not move`);
  }
  const existing = plan.mounts[0];
  if (existing && (existing.volume !== bound.id || existing.path !== path)) {
    return log.notHonoured(at, `a Machine mounts one Fly Volume at one path; "${existing.name}" is already mounted at ${existing.path}`);
  }
  if (vol.persistentVolumeClaim!.readOnly) log.warn(`${vat}.persistentVolumeClaim.readOnly`, "Fly Volumes are mounted writable");
  if (!existing) {
    plan.mounts.push({ volume: bound.id, path, name: claim });
    plan.region = bound.region;
    if (containers.length > 1) log.warn(at, "a Fly Volume is mounted for the whole Machine, not per container");
  }
}

/** The files of a configMap, secret, downwardAPI or projected volume; undefined when reported. */
function volumeFiles(vol: Volume, vat: string, inputs: VolumeInputs): VolumeFile[] | undefined {
  const use: Use = { volume: vol.name };
  if (vol.configMap) return configMapFiles(vol.configMap, vol.configMap.defaultMode ?? DEFAULT_MODE, `${vat}.configMap`, inputs, use);
  if (vol.secret) {
    const { secretName, ...rest } = vol.secret;
    return secretFiles({ name: secretName, ...rest }, vol.secret.defaultMode ?? DEFAULT_MODE, `${vat}.secret`, inputs, use);
  }
  if (vol.downwardAPI) return downwardFiles(vol.downwardAPI.items ?? [], vol.downwardAPI.defaultMode ?? DEFAULT_MODE, `${vat}.downwardAPI`, inputs);
  const mode = vol.projected!.defaultMode ?? DEFAULT_MODE;
  const out: VolumeFile[] = [];
  (vol.projected!.sources ?? []).forEach((s: VolumeProjection, i) => {
    const sat = `${vat}.projected.sources[${i}]`;
    const files = s.configMap
      ? configMapFiles(s.configMap, mode, `${sat}.configMap`, inputs, use)
      : s.secret
        ? secretFiles(s.secret, mode, `${sat}.secret`, inputs, use)
        : s.downwardAPI
          ? downwardFiles(s.downwardAPI.items ?? [], mode, `${sat}.downwardAPI`, inputs)
          : inputs.log.notHonoured(`${sat}.${Object.keys(s)[0] ?? "source"}`, "this projection is not available on Fly Machines");
    if (files) out.push(...files);
  });
  return out;
}

interface KeyedSource {
  name?: string;
  items?: KeyToPath[];
  optional?: boolean;
}

type Content = { raw_value: string } | { secret_name: string };

function configMapFiles(src: KeyedSource, mode: number, at: string, inputs: VolumeInputs, use: Use): VolumeFile[] | undefined {
  const cm = findConfigMap(inputs, src.name ?? "", src.optional, at, use);
  if (!cm) return src.optional ? [] : undefined;
  const values = new Map<string, string>();
  for (const [k, v] of Object.entries(cm.data ?? {})) values.set(k, base64Utf8(v));
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) values.set(k, v);
  return keyedFiles(src, mode, [...values.keys()], (key) => {
    const raw = values.get(key);
    if (raw !== undefined) return { raw_value: raw };
    if (!src.optional) missingKey(inputs, "ConfigMap", src.name ?? "", key, use);
    return undefined;
  });
}

function secretFiles(src: KeyedSource, mode: number, at: string, inputs: VolumeInputs, use: Use): VolumeFile[] | undefined {
  const name = src.name ?? "";
  const keys = findSecret(inputs, name, src.optional, at, use);
  if (!keys) return src.optional ? [] : undefined;
  return keyedFiles(src, mode, Object.keys(keys), (key) => {
    if (key in keys) {
      const fly = flySecretFor(inputs, name, keys, key, use);
      return fly && { secret_name: fly.file };
    }
    if (!src.optional) missingKey(inputs, "Secret", name, key, use);
    return undefined;
  });
}

/**
 * One file per item (default: every key, sorted, at a path named after it, dot-files included);
 * undefined when a required key is missing or waiting (reported by `contentOf`); an optional
 * missing key is left out.
 */
function keyedFiles(src: KeyedSource, mode: number, allKeys: string[], contentOf: (key: string) => Content | undefined): VolumeFile[] | undefined {
  const items = src.items ?? allKeys.sort().map((key) => ({ key, path: key, mode: undefined }));
  const out: VolumeFile[] = [];
  let complete = true;
  for (const item of items) {
    const content = contentOf(item.key);
    if (content) out.push({ rel: item.path, mode: item.mode ?? mode, ...content });
    else if (!src.optional) complete = false;
  }
  return complete ? out : undefined;
}

function downwardFiles(items: DownwardAPIVolumeFile[], mode: number, at: string, { pod, guest, log }: VolumeInputs): VolumeFile[] {
  const out: VolumeFile[] = [];
  items.forEach((item, i) => {
    const iat = `${at}.items[${i}]`;
    let value: FieldValue;
    if (item.fieldRef) value = fieldRefValue(pod, item.fieldRef.fieldPath, true);
    else if (item.resourceFieldRef) {
      const ref = item.resourceFieldRef;
      const owner = pod.spec.containers.concat(pod.spec.initContainers ?? []).find((c) => c.name === ref.containerName);
      value = owner ? resourceFieldValue(owner, ref.resource, ref.divisor, guest) : { unsupported: `no container "${ref.containerName}"` };
    } else value = { unsupported: "an item needs fieldRef or resourceFieldRef" };
    if ("literal" in value) out.push({ rel: item.path, mode: item.mode ?? mode, raw_value: base64Utf8(value.literal) });
    else log.notHonoured(iat, "unsupported" in value ? value.unsupported : "the pod IP is not known before the Machine boots");
  });
  return out;
}

function placed(f: VolumeFile, guestPath: string): MachineFile {
  const { rel: _rel, ...content } = f;
  return { guest_path: guestPath, ...content };
}

function joinPath(dir: string, rel: string): string {
  return `${dir.replace(/\/+$/, "")}/${rel.replace(/^\/+/, "")}`;
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  map.set(key, [...(map.get(key) ?? []), value]);
}

/** Standard base64 of the UTF-8 bytes of `text` (web APIs only: this runs in workerd and Node). */
export function base64Utf8(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}
