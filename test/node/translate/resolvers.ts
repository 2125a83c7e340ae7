import type { ConfigMap, PersistentVolumeClaim, Secret } from "../../../src/shared/k8s";
import type { TranslateContext } from "../../../src/worker/translate/context";

export { secretKeyToFlySecretNames as appSecretNames } from "../../../src/worker/translate/fly-secret-name";

/**
 * A context whose lookups answer from the given objects, as the worker answers from its store:
 * every Secret key written to Fly at `secretsVersion` (default 1) unless listed in `unwritten`,
 * every claim bound to `vol_<claim without dashes>` in `volumeRegion` (default ord), `deleting`
 * when it has a `deletionTimestamp`.
 */
export function contextOf(objects: {
  configMaps?: ConfigMap[];
  secrets?: Secret[];
  claims?: PersistentVolumeClaim[];
  secretsVersion?: number;
  unwritten?: string[];
  volumeRegion?: string;
}): TranslateContext {
  return {
    cluster: "staging",
    configMap: (ns, name) => objects.configMaps?.find((c) => c.metadata.namespace === ns && c.metadata.name === name) ?? undefined,
    secret: (ns, name) => {
      const s = objects.secrets?.find((x) => x.metadata.namespace === ns && x.metadata.name === name);
      const keys = [...Object.keys(s?.data ?? {}), ...Object.keys(s?.stringData ?? {})];
      return s && Object.fromEntries(keys.map((k) => [k, objects.unwritten?.includes(`${name}/${k}`) ? undefined : (objects.secretsVersion ?? 1)]));
    },
    volume: (ns, claim) => {
      const c = objects.claims?.find((x) => x.metadata.namespace === ns && x.metadata.name === claim);
      return c && { id: `vol_${claim.replace(/-/g, "")}`, region: objects.volumeRegion ?? "ord", ...(c.metadata.deletionTimestamp ? { deleting: true } : {}) };
    },
  };
}
