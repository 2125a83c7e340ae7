/**
 * The relay's informers: one ResourceInformer (informers.ts) per watched kind, and per namespace
 * when namespaces are configured; pods only those bound to the virtual node.
 */
import type { Snapshot } from "./forwarder";
import type { KubeObject } from "./kube-api";
import { ResourceInformer, type InformerOptions, type ResourceSpec } from "./informers";

/** The kinds the relay forwards (all core/v1). */
export const WATCHED_RESOURCES: readonly ResourceSpec[] = [
  { kind: "Pod", plural: "pods", snapshotKey: "pods" },
  { kind: "Service", plural: "services", snapshotKey: "services" },
  { kind: "Secret", plural: "secrets", snapshotKey: "secrets" },
  { kind: "ConfigMap", plural: "configmaps", snapshotKey: "configMaps" },
  { kind: "PersistentVolumeClaim", plural: "persistentvolumeclaims", snapshotKey: "persistentVolumeClaims" },
];

export interface InformerSetOptions extends Omit<InformerOptions, "resource" | "namespace" | "fieldSelector"> {
  nodeName: string;
  /** Empty: all namespaces. */
  namespaces: readonly string[];
}

/** One informer per watched kind (and per namespace when namespaces are configured). */
export class InformerSet {
  private readonly informers: { spec: ResourceSpec; informer: ResourceInformer }[] = [];

  constructor(opts: InformerSetOptions) {
    const scopes = opts.namespaces.length ? opts.namespaces : [undefined];
    for (const spec of WATCHED_RESOURCES) {
      for (const namespace of scopes) {
        const fieldSelector = spec.kind === "Pod" ? `spec.nodeName=${opts.nodeName}` : undefined;
        this.informers.push({ spec, informer: new ResourceInformer({ ...opts, resource: spec, namespace, fieldSelector }) });
      }
    }
  }

  start(): void {
    for (const { informer } of this.informers) informer.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.informers.map(({ informer }) => informer.stop()));
  }

  get allSynced(): boolean {
    return this.informers.every(({ informer }) => informer.synced);
  }

  /** The informer's copy of a pod on the virtual node, if it has one. */
  pod(namespace: string, name: string): KubeObject | undefined {
    for (const { spec, informer } of this.informers) {
      if (spec.kind !== "Pod") continue;
      const pod = informer.get(namespace, name);
      if (pod) return pod;
    }
    return undefined;
  }

  /** Every pod on the virtual node the informers hold now. */
  pods(): KubeObject[] {
    return this.informers.filter(({ spec }) => spec.kind === "Pod").flatMap(({ informer }) => informer.list());
  }

  /** The full current lists, or undefined until every informer has synced. */
  snapshot(): Snapshot | undefined {
    if (!this.allSynced) return undefined;
    const snapshot: Snapshot = { pods: [], services: [], secrets: [], configMaps: [], persistentVolumeClaims: [] };
    for (const { spec, informer } of this.informers) {
      const objects = snapshot[spec.snapshotKey];
      // One push per object: spreading a list as arguments overflows the stack past ~100k objects.
      for (const o of informer.list()) objects.push(o);
    }
    return snapshot;
  }
}
