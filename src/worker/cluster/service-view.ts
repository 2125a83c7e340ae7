import type { ServiceView } from "../../shared/contract";
import { isHeadless, podIsReady, selectedPods, type Service } from "../../shared/k8s";
import { serviceHops, servicePortKey } from "../translate/service-plan";
import type { ClusterState, PodRecord, ServiceApp } from "./state";

/** The cluster domain the names are given in (the cluster DNS's default). */
const DOMAIN = "cluster.local";

/** The stored Service `namespace/name` as the worker maps it, or null when none is stored. */
export function serviceViewOf(state: Pick<ClusterState, "objects" | "meta" | "appPorts" | "serviceApps" | "pods">, clusterApp: string, namespace: string, name: string): ServiceView | null {
  const stored = state.objects.find("Service", namespace, name);
  if (!stored) return null;
  return serviceView(stored.object as Service, {
    clusterApp,
    clusterFlycast: state.meta.get("cluster_flycast") ?? null,
    appPort: (key) => state.appPorts.get(key),
    serviceApp: state.serviceApps.get(stored.uid),
    pods: state.pods.runnableIn(namespace),
  });
}

/**
 * A Service as the worker maps it: its address (the Service app's Flycast address, once made), names,
 * ports with their app ports, the hops a connection takes per port, and the pods that back it
 * (selected, live, with their machines and readiness).
 */
export function serviceView(
  svc: Service,
  at: { clusterApp: string; clusterFlycast: string | null; appPort: (key: string) => number | undefined; serviceApp: ServiceApp | undefined; pods: PodRecord[] },
): ServiceView {
  const { name, namespace } = svc.metadata;
  const byKey = new Map<string, number>();
  const appPorts: Record<string, number> = {};
  for (const p of svc.spec?.ports ?? []) {
    const key = servicePortKey(svc.metadata.uid, p);
    const appPort = at.appPort(key);
    if (appPort === undefined) continue;
    byKey.set(key, appPort);
    appPorts[String(p.port)] = appPort;
  }
  const address = at.serviceApp?.address ?? null;
  const hops = address && at.clusterFlycast ? serviceHops(svc, { serviceApp: at.serviceApp!.app, address, clusterApp: at.clusterApp, clusterFlycast: at.clusterFlycast, appPorts: byKey }) : {};
  const byUid = new Map(at.pods.map((r) => [r.uid, r]));
  const selectable = at.pods.map((r) => ({ uid: r.uid, metadata: r.pod.metadata, status: r.status ?? undefined }));
  const backends = isHeadless(svc) || svc.spec?.type === "ExternalName" ? [] : selectedPods(svc, selectable);
  return {
    namespace,
    name,
    type: svc.spec?.type ?? "ClusterIP",
    address,
    names: svc.spec?.type === "ExternalName" ? [] : [name, `${name}.${namespace}`, `${name}.${namespace}.svc`, `${name}.${namespace}.svc.${DOMAIN}`],
    ports: (svc.spec?.ports ?? []).map((p) => ({ name: p.name ?? null, port: p.port, targetPort: p.targetPort ?? p.port, protocol: p.protocol ?? "TCP" })),
    fly: {
      clusterApp: at.clusterApp,
      serviceApp: at.serviceApp?.app ?? null,
      appPorts,
      hops,
      public: publicEdge(at.serviceApp),
    },
    backends: backends.map((b) => ({ uid: b.uid, pod: b.metadata.name, machineId: byUid.get(b.uid)?.machineId ?? null, ready: podIsReady(b) })),
  };
}

/** A LoadBalancer's public edge: every Fly app answers as `<app>.fly.dev` on its public addresses. */
function publicEdge(row: ServiceApp | undefined): ServiceView["fly"]["public"] {
  if (!row || (row.publicV6 === null && row.publicV4 === null)) return null;
  return { hostname: `${row.app}.fly.dev`, ips: [row.publicV4, row.publicV6].filter((ip): ip is string => ip !== null) };
}
