import type { Container, Pod } from "../../shared/k8s";
import type { MachineConfig } from "../../machines/machine-config";

/** Every key of the object, or just these. */
export type KeyUse = "all" | Set<string>;

/** The Secrets, ConfigMaps and claims a pod names (by name, in its namespace), with the keys it uses. */
export interface PodReferences {
  secrets: Map<string, KeyUse>;
  configMaps: Map<string, KeyUse>;
  claims: Set<string>;
}

function use(map: Map<string, KeyUse>, name: string | undefined, keys: string[] | "all"): void {
  if (!name) return;
  const have = map.get(name);
  if (have === "all") return;
  if (keys === "all") return void map.set(name, "all");
  map.set(name, new Set([...(have ?? []), ...keys]));
}

/** What a pod references through env, envFrom and volumes (projected sources included), init containers included. */
export function podReferences(pod: Pod): PodReferences {
  const refs: PodReferences = { secrets: new Map(), configMaps: new Map(), claims: new Set() };
  const containers: Container[] = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
  for (const c of containers) {
    for (const from of c.envFrom ?? []) {
      use(refs.configMaps, from.configMapRef?.name, "all");
      use(refs.secrets, from.secretRef?.name, "all");
    }
    for (const e of c.env ?? []) {
      const cm = e.valueFrom?.configMapKeyRef;
      if (cm) use(refs.configMaps, cm.name, [cm.key]);
      const s = e.valueFrom?.secretKeyRef;
      if (s) use(refs.secrets, s.name, [s.key]);
    }
  }
  const keysOf = (items: { key: string }[] | undefined) => (items ? items.map((i) => i.key) : "all");
  for (const v of pod.spec.volumes ?? []) {
    if (v.secret) use(refs.secrets, v.secret.secretName, keysOf(v.secret.items));
    if (v.configMap) use(refs.configMaps, v.configMap.name, keysOf(v.configMap.items));
    if (v.persistentVolumeClaim) refs.claims.add(v.persistentVolumeClaim.claimName);
    for (const s of v.projected?.sources ?? []) {
      if (s.secret) use(refs.secrets, s.secret.name, keysOf(s.secret.items));
      if (s.configMap) use(refs.configMaps, s.configMap.name, keysOf(s.configMap.items));
    }
  }
  return refs;
}

/** Every Fly app secret name a machine config reads (process and container `secrets`, `files[].secret_name`). */
export function flySecretNamesIn(config: MachineConfig): Set<string> {
  const names = new Set<string>();
  const fromList = (list: { env_var?: string; name?: string }[] | undefined) =>
    list?.forEach((s) => {
      const name = s.name ?? s.env_var;
      if (name !== undefined) names.add(name);
    });
  const fromFiles = (files: MachineConfig["files"]) => files?.forEach((f) => f.secret_name !== undefined && names.add(f.secret_name));
  config.processes?.forEach((p) => fromList(p.secrets));
  fromFiles(config.files);
  for (const c of config.containers ?? []) {
    fromList(c.secrets);
    fromFiles(c.files);
  }
  return names;
}
