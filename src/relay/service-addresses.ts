/**
 * Writes what the worker made of each Service back onto it: its Fly address as the annotation
 * `machinelet.fly.io/address` (contract; the cluster DNS answers with it) and, for a LoadBalancer,
 * `status.loadBalancer.ingress` with the public hostname and IPs. `spec.clusterIP` stays the API
 * server's own (it is immutable once allocated).
 *
 * Every Service event puts that Service on the pending list; a pass asks the worker's services
 * route for each pending Service and patches what differs. A Service stays pending (retried with
 * backoff) until the worker has an address (and, for a LoadBalancer, public addresses) for it;
 * Services that never get one (headless, ExternalName, no selector) are never pending.
 *
 * Ingress is written only on the LoadBalancers machinelet fronts (`frontsLoadBalancer`); the
 * address annotation is machinelet's own key, written on every addressed Service.
 */
import { serviceViewSchema, type ServiceView } from "../shared/contract";
import { frontsLoadBalancer, SERVICE_ADDRESS_ANNOTATION } from "../shared/k8s";
import type { BackoffPolicy } from "./backoff";
import type { WatchEvent } from "./event-queue";
import { isStatus, type KubeApi, type KubeObject } from "./kube-api";
import type { Logger } from "./log";
import type { WorkerClient } from "./worker-client";
import { WriteBackLoop } from "./write-back-loop";

export interface ServiceAddressesOptions {
  worker: WorkerClient;
  api: KubeApi;
  log: Logger;
  /** How soon a pending Service is asked about first; later asks back off up to `backoff.maxMs`. */
  backoff: BackoffPolicy;
}

type ServiceSpec = { type?: string; clusterIP?: string; selector?: Record<string, string>; loadBalancerClass?: string };
/** What the relay writes of an ingress entry; the API server adds fields of its own (`ipMode`). */
type LoadBalancerIngress = { ip?: string; hostname?: string };

const MERGE_PATCH = "application/merge-patch+json";

/** True when the worker gives this Service a Fly address (src/worker/translate/service-plan.ts `isAddressed`). */
function getsAddress(svc: KubeObject): boolean {
  const spec = (svc.spec ?? {}) as ServiceSpec;
  return spec.clusterIP !== "None" && spec.type !== "ExternalName" && Object.keys(spec.selector ?? {}).length > 0;
}

/**
 * Whether `current` already lists `ingress`, compared on the fields the relay writes: the API
 * server defaults `ipMode: VIP` on every entry with an IP (1.30+), and a write that would change
 * nothing is not sent.
 */
function listsIngress(current: LoadBalancerIngress[], ingress: LoadBalancerIngress[]): boolean {
  return current.length === ingress.length && ingress.every((entry, i) => current[i]!.ip === entry.ip && current[i]!.hostname === entry.hostname);
}

/** The ingress entries a LoadBalancer Service shows: each public IP with the edge's hostname. */
export function loadBalancerIngress(view: ServiceView): LoadBalancerIngress[] | undefined {
  const edge = view.fly.public;
  return edge ? edge.ips.map((ip) => ({ ip, hostname: edge.hostname })) : undefined;
}

export class ServiceAddresses {
  readonly #loop: WriteBackLoop<KubeObject>;

  constructor(private readonly opts: ServiceAddressesOptions) {
    this.#loop = new WriteBackLoop({ what: "a Service's Fly address", log: opts.log, backoff: opts.backoff, write: (svc) => this.#write(svc) });
  }

  /** Sees every watch event; acts on Services only. */
  observe(ev: WatchEvent): void {
    const svc = ev.object as KubeObject;
    if (svc.kind !== "Service" || !svc.metadata.uid) return;
    if (ev.type === "DELETED" || !getsAddress(svc)) this.#loop.drop(svc.metadata.uid);
    else this.#loop.want(svc);
  }

  /** Services still waiting for their address (or LoadBalancer ingress) to be written. */
  get pending(): number {
    return this.#loop.pending;
  }

  start(): void {
    this.#loop.start();
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }

  /** Patches what differs from the worker's view; true when nothing is left to write. */
  async #write(svc: KubeObject): Promise<boolean> {
    const { namespace = "default", name = "" } = svc.metadata;
    const res = await this.opts.worker.signed("GET", `/services/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`);
    if (res.status === 404) return false; // the worker has not stored it yet
    if (res.status !== 200) throw new Error(`GET /services/${namespace}/${name}: ${res.status}: ${res.text.slice(0, 200)}`);
    const view = serviceViewSchema.parse(JSON.parse(res.text));
    if (!view.address) return false;
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${encodeURIComponent(name)}`;
    const annotations = (svc.metadata.annotations ?? {}) as Record<string, string>;
    try {
      if (annotations[SERVICE_ADDRESS_ANNOTATION] !== view.address) {
        // The UID and resourceVersion make the patch land on exactly the object seen, or fail with a conflict.
        await this.opts.api.request("PATCH", path, {
          body: { metadata: { uid: svc.metadata.uid, resourceVersion: svc.metadata.resourceVersion, annotations: { [SERVICE_ADDRESS_ANNOTATION]: view.address } } },
          contentType: MERGE_PATCH,
        });
        this.opts.log.info("Service address written", { namespace, name, address: view.address });
      }
      if (!frontsLoadBalancer(svc.spec as ServiceSpec | undefined)) return true;
      const ingress = loadBalancerIngress(view);
      if (!ingress) return false;
      const current = ((svc.status as { loadBalancer?: { ingress?: LoadBalancerIngress[] } } | undefined)?.loadBalancer?.ingress ?? []);
      if (!listsIngress(current, ingress)) {
        await this.opts.api.request("PATCH", `${path}/status`, { body: { metadata: { uid: svc.metadata.uid }, status: { loadBalancer: { ingress } } }, contentType: MERGE_PATCH });
        this.opts.log.info("LoadBalancer ingress written", { namespace, name, ingress: ingress.map((i) => i.ip).join(",") });
      }
      return true;
    } catch (e) {
      // Gone, or changed since seen: its own next event brings it back.
      if (isStatus(e, 404, 409)) return true;
      throw e;
    }
  }
}
