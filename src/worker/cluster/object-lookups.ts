import type { ConfigMapData, SecretKeys, TranslateContext } from "../translate/context";
import type { ClaimVolumeStore, FlySecretStore, ObjectStore } from "./state";

/**
 * The translation's lookups, answered from the cluster's stores: ConfigMaps as stored; a Secret's
 * keys with the Fly secrets version each was written at (undefined until written); a claim's Fly
 * Volume once it exists (by the claim's UID, so a recreated claim never gets the old one's volume).
 */
export function translateContextOf(cluster: string, objects: ObjectStore, flySecrets: FlySecretStore, claims: ClaimVolumeStore): TranslateContext {
  return {
    cluster,
    configMap: (namespace, name) => objects.find("ConfigMap", namespace, name)?.object as ConfigMapData | undefined,
    secret: (namespace, name): SecretKeys | undefined => {
      const stored = objects.find("Secret", namespace, name)?.object as { data?: Record<string, string> | null } | undefined;
      if (!stored) return undefined;
      const written = flySecrets.keysOf(namespace, name);
      return Object.fromEntries(Object.keys(stored.data ?? {}).map((k) => [k, written.get(k)?.version]));
    },
    volume: (namespace, name) => {
      const claim = objects.find("PersistentVolumeClaim", namespace, name);
      const row = claim && claims.get(claim.uid);
      return row?.volumeId && row.region ? { id: row.volumeId, region: row.region } : undefined;
    },
  };
}
