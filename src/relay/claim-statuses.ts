/**
 * Writes what the worker made of each PersistentVolumeClaim back onto it, as Kubernetes' PV
 * controller would: `status.phase` Bound with `status.capacity.storage` (the Fly Volume's size) and
 * `status.accessModes` once its volume exists, Pending until then, and an Event saying why it waits
 * or why a change of it is refused (WaitForFirstConsumer, Provisioning, ProvisioningFailed,
 * VolumeResizeFailed), so `kubectl get pvc` and `kubectl describe pvc` tell the truth.
 *
 * A claim is pending from each of its events until it is Bound at the size it asks for (or refused
 * for good); meanwhile it is asked about again with backoff (its pod's arrival, which makes the
 * volume, is no event of the claim).
 *
 * Only machinelet's own claims are written (`otherOwner`): in a cluster with other nodes, a claim
 * the PV controller gave to another provisioner or bound to a PersistentVolume is that controller's.
 */
import { claimViewSchema, type ClaimView } from "../shared/contract";
import { parseQuantity } from "../shared/k8s";
import type { BackoffPolicy } from "./backoff";
import type { EventRecorder } from "./events/event-recorder";
import type { WatchEvent } from "./event-queue";
import { isStatus, type KubeApi, type KubeObject } from "./kube-api";
import type { Logger } from "./log";
import type { WorkerClient } from "./worker-client";
import { WriteBackLoop } from "./write-back-loop";

export interface ClaimStatusesOptions {
  worker: WorkerClient;
  api: KubeApi;
  log: Logger;
  events: EventRecorder;
  backoff: BackoffPolicy;
}

type ClaimStatus = { phase?: string; capacity?: { storage?: string } | null; accessModes?: string[] | null };
type ClaimSpec = { volumeName?: string; resources?: { requests?: { storage?: string } } };

const MERGE_PATCH = "application/merge-patch+json";
/** What the PV controller marks a claim it bound with. */
const BIND_ANNOTATIONS = { "pv.kubernetes.io/bind-completed": "yes", "pv.kubernetes.io/bound-by-controller": "yes" };
/**
 * Where the PV controller names the provisioner it hands an unbound claim to, from the claim's
 * StorageClass (pv_controller.go `setClaimProvisioner` sets both keys); that provisioner then makes
 * and binds the claim's volume.
 */
const PROVISIONER_ANNOTATIONS = ["volume.kubernetes.io/storage-provisioner", "volume.beta.kubernetes.io/storage-provisioner"];

/**
 * Who other than machinelet owns `pvc` (for the log), or undefined when it is machinelet's own.
 * machinelet provisions for no StorageClass (it has none) and makes no PersistentVolume, so a claim
 * is its own until Kubernetes shows it is someone else's: the PV controller handed it to a
 * provisioner (the annotation naming one), or it is bound to a volume other than the Fly Volume the
 * worker made for it (a PersistentVolume, e.g. one of K3s's local-path provisioner). Writing
 * machinelet's view over such a claim would start a write war with its owner (our Pending over
 * its Bound, each write an event for the other side), so it is left alone.
 */
function otherOwner(pvc: KubeObject, view: ClaimView): string | undefined {
  const annotations = (pvc.metadata.annotations ?? {}) as Record<string, string>;
  const provisioner = PROVISIONER_ANNOTATIONS.map((key) => annotations[key]).find(Boolean);
  if (provisioner) return `provisioner ${provisioner}`;
  const volumeName = (pvc.spec as ClaimSpec | undefined)?.volumeName;
  if (volumeName && volumeName !== view.volume?.id) return `volume ${volumeName}`;
  return undefined;
}

/** The status the view asks for, in the shape of core/v1 PersistentVolumeClaimStatus. */
export function statusOf(view: ClaimView): ClaimStatus {
  return view.phase === "Bound" ? { phase: "Bound", capacity: { storage: view.capacity! }, accessModes: view.accessModes } : { phase: "Pending", capacity: null, accessModes: null };
}

/** Nothing more will change without a new event: Bound at (at least) the size asked, or refused. */
function settled(view: ClaimView, pvc: KubeObject): boolean {
  if (view.event?.reason === "ProvisioningFailed" || view.event?.reason === "VolumeResizeFailed") return true;
  const requested = (pvc.spec as ClaimSpec | undefined)?.resources?.requests?.storage;
  return view.phase === "Bound" && (requested === undefined || parseQuantity(view.capacity!) >= parseQuantity(requested));
}

export class ClaimStatuses {
  readonly #loop: WriteBackLoop<KubeObject>;

  constructor(private readonly opts: ClaimStatusesOptions) {
    this.#loop = new WriteBackLoop({ what: "a claim's status", log: opts.log, backoff: opts.backoff, write: (pvc) => this.#write(pvc) });
  }

  /** Sees every watch event; acts on PersistentVolumeClaims only. */
  observe(ev: WatchEvent): void {
    const pvc = ev.object as KubeObject;
    if (pvc.kind !== "PersistentVolumeClaim" || !pvc.metadata.uid) return;
    if (ev.type === "DELETED") this.#loop.drop(pvc.metadata.uid);
    else this.#loop.want(pvc);
  }

  get pending(): number {
    return this.#loop.pending;
  }

  start(): void {
    this.#loop.start();
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }

  async #write(pvc: KubeObject): Promise<boolean> {
    const { namespace = "default", name = "", uid = "" } = pvc.metadata;
    const route = `/claims/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
    const res = await this.opts.worker.signed("GET", route);
    if (res.status === 404) return false; // the worker has not stored it yet
    if (res.status !== 200) throw new Error(`GET ${route}: ${res.status}: ${res.text.slice(0, 200)}`);
    const view = claimViewSchema.parse(JSON.parse(res.text));
    if (view.uid !== uid) return false; // the worker still holds an older claim of that name
    const owner = otherOwner(pvc, view);
    if (owner) {
      // Done with it: nothing of ours to write (its own next event brings it back, should that change).
      this.opts.log.debug("claim left to its owner", { namespace, name, owner });
      return true;
    }
    const want = statusOf(view);
    const have = (pvc.status ?? {}) as ClaimStatus;
    const base = `/api/v1/namespaces/${encodeURIComponent(namespace)}/persistentvolumeclaims/${encodeURIComponent(name)}`;
    try {
      if (view.volume && !(pvc.spec as ClaimSpec | undefined)?.volumeName) {
        // As the PV controller binds: the claim names its volume (here the Fly Volume's id) once.
        await this.opts.api.request("PATCH", base, {
          body: { metadata: { uid, resourceVersion: pvc.metadata.resourceVersion, annotations: BIND_ANNOTATIONS }, spec: { volumeName: view.volume.id } },
          contentType: MERGE_PATCH,
        });
      }
      if (have.phase !== want.phase || (have.capacity?.storage ?? null) !== (want.capacity?.storage ?? null) || JSON.stringify(have.accessModes ?? null) !== JSON.stringify(want.accessModes)) {
        // The UID makes the patch land on exactly the claim seen.
        await this.opts.api.request("PATCH", `${base}/status`, { body: { metadata: { uid }, status: want }, contentType: MERGE_PATCH });
        this.opts.log.info("claim status written", { namespace, name, phase: want.phase, capacity: want.capacity?.storage ?? null, volume: view.volume?.id ?? null });
      }
    } catch (e) {
      // Gone, or another claim of that name now: its own next event brings it back.
      if (isStatus(e, 404, 409)) return true;
      throw e;
    }
    if (view.event) await this.opts.events.record({ kind: "PersistentVolumeClaim", namespace, name, uid }, { ...view.event, at: "once" });
    return settled(view, pvc);
  }
}
