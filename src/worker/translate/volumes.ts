import { parseQuantity, type Container, type DownwardAPIVolumeFile, type KeyToPath, type Pod, type Volume, type VolumeProjection } from "../../shared/k8s";
import type { TranslateContext } from "./context";
import { fieldRefValue, resourceFieldValue, type FieldValue } from "./downward-api";
import type { FindingsLog } from "./findings";
import type { ContainerMount, MachineConfig, MachineFile, MachineGuest, TempDirVolume } from "../../machines/machine-config";

type MachineMount = NonNullable<MachineConfig["mounts"]>[number];

/** How the pod's volumes land on the Machine. */
export interface VolumePlan {
  /** emptyDir volumes as temp dirs, mounted into containers by name */
  tempDirs: TempDirVolume[];
  /** the Fly Volume bound to the pod's PersistentVolumeClaim (one per Machine) */
  mounts: MachineMount[];
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

export interface VolumeInputs {
  pod: Pod;
  ctx: TranslateContext;
  guest: MachineGuest;
  log: FindingsLog;
  /** every container with its field path, init containers first */
  containers: readonly { c: Container; path: string }[];
}

/**
 * Maps each volume mount: emptyDir -> temp dir + container mount; configMap, secret, downwardAPI
 * and projected volumes -> files written at the mount path (a `subPath` picks one file); a
 * persistentVolumeClaim -> the Machine's Fly Volume mount. The API server's automatic
 * `kube-api-access-*` volume is skipped with a warning: a Machine cannot reach the cluster API
 * with a service account token. Other sources are reported unsupported.
 */
export function planVolumes({ pod, ctx, guest, log, containers }: VolumeInputs): VolumePlan {
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
        if (m.subPath) return log.notHonoured(`${at}.subPath`, "subPath is not available for emptyDir volumes");
        if (m.readOnly) log.warn(`${at}.readOnly`, "temp-dir mounts are writable");
        if (!plan.tempDirs.some((t) => t.name === vol.name)) plan.tempDirs.push(tempDirOf(vol, vat, log));
        return push(plan.containerMounts, c.name, { name: vol.name, path: m.mountPath });
      }
      if (vol.persistentVolumeClaim) {
        if (m.subPath) return log.notHonoured(`${at}.subPath`, "subPath is not available for Fly Volumes");
        return mountClaim(plan, vol, vat, m.mountPath, at, { pod, ctx, log, containers });
      }
      if (vol.configMap || vol.secret || vol.downwardAPI || vol.projected) {
        if (!fileCache.has(vi)) fileCache.set(vi, volumeFiles(vol, vat, { pod, ctx, guest, log }));
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
  // Fly sizes only disk-backed temp dirs.
  const sizeMb = limit !== undefined && !memory ? Math.ceil(parseQuantity(limit) / 2 ** 20) : undefined;
  return { name: vol.name, temp_dir: { storage_type: memory ? "memory" : "disk", ...(sizeMb ? { size_mb: sizeMb } : {}) } };
}

function mountClaim(
  plan: VolumePlan,
  vol: Volume,
  vat: string,
  path: string,
  at: string,
  { pod, ctx, log, containers }: Omit<VolumeInputs, "guest">,
): void {
  const claim = vol.persistentVolumeClaim!.claimName;
  if (!ctx.volume) return log.notHonoured(`${vat}.persistentVolumeClaim`, "Fly Volumes are not available to this translation");
  const id = ctx.volume(pod.metadata.namespace, claim);
  if (!id) return log.error(`${vat}.persistentVolumeClaim`, `PersistentVolumeClaim "${claim}" has no Fly Volume yet`);
  const existing = plan.mounts[0];
  if (existing && (existing.volume !== id || existing.path !== path)) {
    return log.notHonoured(at, `a Machine mounts one Fly Volume at one path; "${existing.name}" is already mounted at ${existing.path}`);
  }
  if (vol.persistentVolumeClaim!.readOnly) log.warn(`${vat}.persistentVolumeClaim.readOnly`, "Fly Volumes are mounted writable");
  if (!existing) {
    plan.mounts.push({ volume: id, path, name: claim });
    if (containers.length > 1) log.warn(at, "a Fly Volume is mounted for the whole Machine, not per container");
  }
}

/** The files of a configMap, secret, downwardAPI or projected volume; undefined when reported. */
function volumeFiles(vol: Volume, vat: string, inputs: Omit<VolumeInputs, "containers">): VolumeFile[] | undefined {
  if (vol.configMap) return configMapFiles(vol.configMap, vol.configMap.defaultMode ?? DEFAULT_MODE, `${vat}.configMap`, inputs);
  if (vol.secret) {
    const { secretName, ...rest } = vol.secret;
    return secretFiles({ name: secretName, ...rest }, vol.secret.defaultMode ?? DEFAULT_MODE, `${vat}.secret`, inputs);
  }
  if (vol.downwardAPI) return downwardFiles(vol.downwardAPI.items ?? [], vol.downwardAPI.defaultMode ?? DEFAULT_MODE, `${vat}.downwardAPI`, inputs);
  const mode = vol.projected!.defaultMode ?? DEFAULT_MODE;
  const out: VolumeFile[] = [];
  (vol.projected!.sources ?? []).forEach((s: VolumeProjection, i) => {
    const sat = `${vat}.projected.sources[${i}]`;
    const files = s.configMap
      ? configMapFiles(s.configMap, mode, `${sat}.configMap`, inputs)
      : s.secret
        ? secretFiles(s.secret, mode, `${sat}.secret`, inputs)
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

function configMapFiles(src: KeyedSource, mode: number, at: string, { pod, ctx, log }: Pick<VolumeInputs, "pod" | "ctx" | "log">): VolumeFile[] | undefined {
  if (!ctx.configMap) return void log.notHonoured(at, "ConfigMap values are not available to this translation");
  const cm = ctx.configMap(pod.metadata.namespace, src.name ?? "");
  if (!cm) return src.optional ? [] : void log.error(at, `ConfigMap "${src.name}" not found`);
  const values = new Map<string, string>();
  for (const [k, v] of Object.entries(cm.data ?? {})) values.set(k, base64Utf8(v));
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) values.set(k, v);
  return keyedFiles(src, mode, at, log, "ConfigMap", (key) => {
    const raw = values.get(key);
    return raw === undefined ? undefined : { raw_value: raw };
  }, [...values.keys()]);
}

function secretFiles(src: KeyedSource, mode: number, at: string, { pod, ctx, log }: Pick<VolumeInputs, "pod" | "ctx" | "log">): VolumeFile[] | undefined {
  if (!ctx.secret) return void log.notHonoured(at, "Secret values are not available to this translation");
  const names = ctx.secret(pod.metadata.namespace, src.name ?? "");
  if (!names) return src.optional ? [] : void log.error(at, `Secret "${src.name}" not found`);
  return keyedFiles(src, mode, at, log, "Secret", (key) => (names[key] ? { secret_name: names[key].file } : undefined), Object.keys(names));
}

function keyedFiles(
  src: KeyedSource,
  mode: number,
  at: string,
  log: FindingsLog,
  kind: string,
  contentOf: (key: string) => { raw_value: string } | { secret_name: string } | undefined,
  allKeys: string[],
): VolumeFile[] | undefined {
  const items = src.items ?? allKeys.sort().map((key) => ({ key, path: key, mode: undefined }));
  const out: VolumeFile[] = [];
  for (const item of items) {
    const content = contentOf(item.key);
    if (!content) {
      if (src.optional) continue;
      return void log.error(at, `${kind} "${src.name}" has no key "${item.key}"`);
    }
    out.push({ rel: item.path, mode: item.mode ?? mode, ...content });
  }
  return out;
}

function downwardFiles(items: DownwardAPIVolumeFile[], mode: number, at: string, { pod, guest, log }: Omit<VolumeInputs, "containers" | "ctx">): VolumeFile[] {
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
