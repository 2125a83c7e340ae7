import type { ConfigMapData, SecretKeys, TranslateContext } from "../translate/context";
import type { FlySecretStore, ObjectStore } from "./state";

/**
 * The translation's lookups, answered from the cluster's stores: ConfigMaps as stored; a Secret's
 * keys with the Fly secrets version each was written at (undefined until written). Claims are not
 * mapped to Fly Volumes yet, so there is no volume lookup (such pods are told so).
 */
export function translateContextOf(cluster: string, objects: ObjectStore, flySecrets: FlySecretStore): TranslateContext {
  return {
    cluster,
    configMap: (namespace, name) => objects.find("ConfigMap", namespace, name)?.object as ConfigMapData | undefined,
    secret: (namespace, name): SecretKeys | undefined => {
      const stored = objects.find("Secret", namespace, name)?.object as { data?: Record<string, string> | null } | undefined;
      if (!stored) return undefined;
      const written = flySecrets.keysOf(namespace, name);
      return Object.fromEntries(Object.keys(stored.data ?? {}).map((k) => [k, written.get(k)?.version]));
    },
  };
}
