import type { ServiceView } from "../../shared/contract";
import { isHeadless, podIsReady, selectedPods, type Service } from "../../shared/k8s";
import { servicePortKey } from "../translate/service-plan";
import type { PodRecord } from "./state";

/** The cluster domain the names are given in (the cluster DNS's default). */
const DOMAIN = "cluster.local";

/**
 * A Service as the worker maps it: its names, ports with their app ports, and the pods that back
 * it (selected, live, with their machines and readiness). No Service app or address is provisioned
 * yet, so `address`, `serviceApp` and `hops` stay empty (README, Services: "Not yet").
 */
export function serviceView(svc: Service, at: { clusterApp: string; appPort: (key: string) => number | undefined; pods: PodRecord[] }): ServiceView {
  const { name, namespace } = svc.metadata;
  const appPorts: Record<string, number> = {};
  for (const p of svc.spec?.ports ?? []) {
    const appPort = at.appPort(servicePortKey(svc.metadata.uid, p));
    if (appPort !== undefined) appPorts[String(p.port)] = appPort;
  }
  const byUid = new Map(at.pods.map((r) => [r.uid, r]));
  const selectable = at.pods.map((r) => ({ uid: r.uid, metadata: r.pod.metadata, status: r.status ?? undefined }));
  const backends = isHeadless(svc) || svc.spec?.type === "ExternalName" ? [] : selectedPods(svc, selectable);
  return {
    namespace,
    name,
    type: svc.spec?.type ?? "ClusterIP",
    address: null,
    names: svc.spec?.type === "ExternalName" ? [] : [name, `${name}.${namespace}`, `${name}.${namespace}.svc`, `${name}.${namespace}.svc.${DOMAIN}`],
    ports: (svc.spec?.ports ?? []).map((p) => ({ name: p.name ?? null, port: p.port, targetPort: p.targetPort ?? p.port, protocol: p.protocol ?? "TCP" })),
    fly: { clusterApp: at.clusterApp, serviceApp: null, appPorts, hops: {} },
    backends: backends.map((b) => ({ uid: b.uid, pod: b.metadata.name, machineId: byUid.get(b.uid)?.machineId ?? null, ready: podIsReady(b) })),
  };
}
