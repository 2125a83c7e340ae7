import type { ConfigMap, PersistentVolumeClaim, Secret } from "../../../src/shared/k8s";
import type { AppSecretNames, TranslateContext } from "../../../src/worker/translate/context";

/** Fly app secret names a secret sync could use; any deterministic scheme works for the translation. */
export const appSecretNames = (namespace: string, name: string, key: string): AppSecretNames => {
  const base = `K8S_${namespace}_${name}_${key}`.toUpperCase().replace(/[^A-Z0-9]/g, "_");
  return { env: base, file: `${base}_B64` };
};

/** A context whose lookups answer from the given objects, as the worker answers from its store. */
export function contextOf(objects: { configMaps?: ConfigMap[]; secrets?: Secret[]; claims?: PersistentVolumeClaim[] }): TranslateContext {
  return {
    cluster: "staging",
    configMap: (ns, name) => objects.configMaps?.find((c) => c.metadata.namespace === ns && c.metadata.name === name) ?? undefined,
    secret: (ns, name) => {
      const s = objects.secrets?.find((x) => x.metadata.namespace === ns && x.metadata.name === name);
      return s && Object.fromEntries(Object.keys(s.data ?? {}).map((k) => [k, appSecretNames(ns, name, k)]));
    },
    volume: (ns, claim) => (objects.claims?.some((c) => c.metadata.namespace === ns && c.metadata.name === claim) ? `vol_${claim.replace(/-/g, "")}` : undefined),
  };
}
