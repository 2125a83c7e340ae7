import { ResourceInformer } from "../relay/informers";
import type { KubeApi, KubeObject } from "../relay/kube-api";
import type { Logger } from "../relay/log";
import { parseK8sObject, type Pod, type Service } from "../shared/k8s";
import { ClusterZone } from "./cluster-zone";

export interface KubeDnsSourceOptions {
  api: KubeApi;
  log: Logger;
  domain: string;
  watchTimeoutSeconds?: number;
  watchdogMs?: number;
}

/**
 * The cluster's names as the API server has them: informers on Services and Pods (all
 * namespaces; the relay's informer, with its restarts and watchdog), and a zone rebuilt on the
 * first query after any change. An object that does not parse is left out and logged.
 */
export class KubeDnsSource {
  private readonly informers: { services: ResourceInformer; pods: ResourceInformer };
  private current: ClusterZone;
  private dirty = true;

  constructor(private readonly opts: KubeDnsSourceOptions) {
    const common = {
      api: opts.api,
      log: opts.log,
      watchTimeoutSeconds: opts.watchTimeoutSeconds ?? 300,
      watchdogMs: opts.watchdogMs ?? 600_000,
      listPageSize: 500,
      backoff: { baseMs: 500, maxMs: 30_000 },
      onEvent: () => (this.dirty = true),
      onListed: () => (this.dirty = true),
    };
    this.informers = {
      services: new ResourceInformer({ ...common, resource: { kind: "Service", plural: "services", snapshotKey: "services" } }),
      pods: new ResourceInformer({ ...common, resource: { kind: "Pod", plural: "pods", snapshotKey: "pods" } }),
    };
    this.current = new ClusterZone(opts.domain, [], []);
  }

  start(): void {
    this.informers.services.start();
    this.informers.pods.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.informers.services.stop(), this.informers.pods.stop()]);
  }

  get synced(): boolean {
    return this.informers.services.synced && this.informers.pods.synced;
  }

  /** The names as of now. */
  zone(): ClusterZone {
    if (this.dirty) {
      this.dirty = false;
      this.current = new ClusterZone(this.opts.domain, this.parsed("Service", this.informers.services.list()), this.parsed("Pod", this.informers.pods.list()));
    }
    return this.current;
  }

  private parsed<K extends "Service" | "Pod">(kind: K, items: KubeObject[]): (K extends "Service" ? Service : Pod)[] {
    const out: (K extends "Service" ? Service : Pod)[] = [];
    for (const item of items) {
      const parsed = parseK8sObject(kind, { ...item, kind });
      if (parsed.ok) out.push(parsed.object as K extends "Service" ? Service : Pod);
      else this.opts.log.warn("cluster dns: object left out", { kind, name: `${item.metadata.namespace}/${item.metadata.name}`, error: parsed.message });
    }
    return out;
  }
}
