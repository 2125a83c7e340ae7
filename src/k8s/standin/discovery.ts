/**
 * Discovery documents of the K8s stand-in (staging and tests only): /version, /api, /api/v1, /apis,
 * /apis/<group>, /apis/<group>/<version>. Served as plain `application/json` (legacy discovery):
 * kubectl asks for the aggregated apidiscovery.k8s.io/v2 form first and falls back to these.
 */
import type { ResourceType } from "./resources";
import { RESOURCES, RESOURCE_VERBS, apiVersionOf } from "./resources";
import { kubeletSubresourceEntries } from "./kubelet-proxy";

/** The Kubernetes release the stand-in imitates; the gcloud kubectl dispatcher picks its kubectl by this minor. */
export const KUBERNETES_VERSION = { major: "1", minor: "32", gitVersion: "v1.32.0+machinelet-standin" } as const;

export function versionInfo(): unknown {
  return {
    ...KUBERNETES_VERSION,
    gitCommit: "0000000000000000000000000000000000000000",
    gitTreeState: "clean",
    buildDate: "2025-01-01T00:00:00Z",
    goVersion: "go1.23.4",
    compiler: "gc",
    platform: "linux/amd64",
  };
}

export function apiVersions(serverAddress: string): unknown {
  return { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }] };
}

function groups(): Array<{ name: string; versions: string[] }> {
  const byGroup = new Map<string, Set<string>>();
  for (const rt of RESOURCES) {
    if (!rt.group) continue;
    const versions = byGroup.get(rt.group) ?? new Set<string>();
    versions.add(rt.version);
    byGroup.set(rt.group, versions);
  }
  return [...byGroup].map(([name, versions]) => ({ name, versions: [...versions] }));
}

function groupDocument(name: string, versions: readonly string[]): unknown {
  const entries = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { name, versions: entries, preferredVersion: entries[0] };
}

export function apiGroupList(): unknown {
  return { kind: "APIGroupList", apiVersion: "v1", groups: groups().map((g) => groupDocument(g.name, g.versions)) };
}

/** undefined when the group is not served. */
export function apiGroup(name: string): unknown {
  const group = groups().find((g) => g.name === name);
  return group && { kind: "APIGroup", apiVersion: "v1", ...(groupDocument(group.name, group.versions) as object) };
}

function resourceEntries(rt: ResourceType): unknown[] {
  const main = {
    name: rt.resource,
    singularName: rt.singular,
    namespaced: rt.namespaced,
    kind: rt.kind,
    verbs: RESOURCE_VERBS,
    ...(rt.shortNames.length > 0 ? { shortNames: rt.shortNames } : {}),
    ...(rt.categories.length > 0 ? { categories: rt.categories } : {}),
  };
  const subresources = rt.subresources.map((sub) => {
    const entry = { name: `${rt.resource}/${sub}`, singularName: "", namespaced: rt.namespaced };
    if (sub === "binding") return { ...entry, kind: "Binding", verbs: ["create"] };
    if (sub === "scale") return { ...entry, group: "autoscaling", version: "v1", kind: "Scale", verbs: ["get", "patch", "update"] };
    return { ...entry, kind: rt.kind, verbs: ["get", "patch", "update"] };
  });
  return [main, ...subresources, ...kubeletSubresourceEntries(rt)];
}

/** undefined when the group version is not served. */
export function apiResourceList(group: string, version: string): unknown {
  const served = RESOURCES.filter((rt) => rt.group === group && rt.version === version);
  if (served.length === 0) return undefined;
  const first = served[0];
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: first ? apiVersionOf(first) : version,
    resources: served.flatMap(resourceEntries),
  };
}
