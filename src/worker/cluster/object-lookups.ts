import type { ConfigMapData, SecretKeys, TranslateContext } from "../translate/context";
import type { Service } from "../../shared/k8s";
import type { ClusterDns } from "../translate/pod-dns";
import { isAddressed, servicePortKey } from "../translate/service-plan";
import type { AppPortStore, ClaimVolumeStore, FlySecretStore, ObjectStore, ServiceAppStore } from "./state";

/**
 * Set on a ConfigMap or Secret kept without its data because it is larger than machinelet takes
 * one object (http/object-screen.ts): why. The API server drops unknown top-level fields, so no
 * object from the cluster carries it.
 */
export const OVERSIZED_FIELD = "machineletOversized";

/**
 * The translation's lookups, answered from the cluster's stores: ConfigMaps as stored; a Secret's
 * keys with the Fly secrets version each was written at (undefined until written); the Services of
 * a namespace, the app port of each Service port and each Service's Fly address; a claim's Fly Volume once it exists (by the
 * claim's UID, so a recreated claim never gets the old one's volume).
 */
export function translateContextOf(
  cluster: string,
  stores: { objects: ObjectStore; flySecrets: FlySecretStore; appPorts: AppPortStore; claimVolumes: ClaimVolumeStore; serviceApps: ServiceAppStore },
  clusterDns?: ClusterDns,
): TranslateContext {
  const { objects, flySecrets, appPorts, claimVolumes: claims, serviceApps } = stores;
  // Every pod translation asks for its namespace's Services: read once per namespace while no object changes (a snapshot translates thousands of pods).
  let servicesAt = -1;
  const servicesIn = new Map<string, Service[]>();
  return {
    cluster,
    ...(clusterDns ? { clusterDns } : {}),
    services: (namespace) => {
      if (servicesAt !== objects.generation) {
        servicesIn.clear();
        servicesAt = objects.generation;
      }
      let list = servicesIn.get(namespace);
      if (!list) servicesIn.set(namespace, (list = objects.listKind("Service", namespace).map((o) => o.object as Service)));
      return list;
    },
    appPort: (service, port) => appPorts.get(servicePortKey(service.metadata.uid, port)),
    serviceAddress: (service) => (isAddressed(service) ? (serviceApps.get(service.metadata.uid)?.address ?? "pending") : undefined),
    configMap: (namespace, name) => objects.find("ConfigMap", namespace, name)?.object as ConfigMapData | undefined,
    oversized: (kind, namespace, name) => objects.stringField(kind, namespace, name, OVERSIZED_FIELD),
    secret: (namespace, name): SecretKeys | undefined => {
      const stored = objects.find("Secret", namespace, name)?.object as { data?: Record<string, string> | null } | undefined;
      if (!stored) return undefined;
      const written = flySecrets.keysOf(namespace, name);
      return Object.fromEntries(Object.keys(stored.data ?? {}).map((k) => [k, written.get(k)?.version]));
    },
    volume: (namespace, name) => {
      const claim = objects.find("PersistentVolumeClaim", namespace, name);
      const row = claim && claims.get(claim.uid);
      if (!claim || !row?.volumeId || !row.region) return undefined;
      const deleting = !!(claim.object as { metadata?: { deletionTimestamp?: string | null } }).metadata?.deletionTimestamp;
      return { id: row.volumeId, region: row.region, ...(deleting ? { deleting } : {}) };
    },
  };
}
