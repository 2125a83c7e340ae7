import type { Machine } from "../../machines/schemas";
import type { EventResult, Outcome, WatchEvent } from "../../shared/contract";
import { adoptedHash } from "./config-drift";
import { parseK8sObject, type PersistentVolumeClaim, type Pod, type Service } from "../../shared/k8s";
import type { TranslateContext } from "../translate/context";
import { claimToVolumeRequest, reclaimPolicyOf, volumeNameForClaim } from "../translate/claim-to-volume";
import { podReferences } from "../translate/pod-references";
import { reviseDependents, reviseSelected, reviseWaiting, translationOf } from "./dependents";
import { appPortsAfter, isAddressed } from "../translate/service-plan";
import { ADOPTIONS_DETAILED, type Decision } from "./decision-log";
import { isNewer } from "./resource-version";
import { translatePod } from "./pod-translation";
import type { AppPortStore, ClaimVolumeStore, ClusterState, Lookup, ObjectStore, PodStore } from "./state";
import type { StatusPublisher } from "./status-publisher";

export type { EventResult, Outcome, WatchEvent };

export const KINDS = ["Pod", "Service", "Secret", "ConfigMap", "PersistentVolumeClaim"] as const;

export interface IntakeContext {
  pods: PodStore;
  objects: ObjectStore;
  /** Claims' volumes: a deleted claim's row is its tombstone. */
  claims: ClaimVolumeStore;
  cluster: string;
  /** The translation's view of the stored Secrets, ConfigMaps and claims. */
  lookups: TranslateContext;
  appPorts: AppPortStore;
  now: number;
  /** Set when a Secret was stored or removed: its keys must be written to (or removed from) Fly. */
  secretsChanged?: boolean;
  /** Set when a claim or a pod that mounts one changed: Fly Volumes may need creating, growing or destroying. */
  volumesChanged?: boolean;
  /** Set when a Service changed: its Fly app, address and forwarder may need creating, updating or deleting. */
  servicesChanged?: boolean;
  /**
   * The cluster's machines by pod UID, listed just before a snapshot is applied: a pod the
   * snapshot brings that the store does not know (state was lost) is admitted bound to its
   * machine, instead of being admitted, scheduled for a create, then adopted by the pass.
   */
  found?: ReadonlyMap<string, Machine>;
  /** How many admitted pods were bound to a found machine. */
  adopted?: number;
  /** A pod's desired state changed: converge it. */
  schedule(uid: string): void;
  /** Publishes the pod's status after each change. */
  status: Pick<StatusPublisher, "refresh" | "statusOf" | "announce">;
  decide(d: Decision): void;
}

/**
 * The context one intake transaction runs in, over the cluster's stores: its `now` is fixed, and
 * `scheduled` says afterwards whether any pod was scheduled (the caller then starts a drain).
 */
export function intakeContextOf(
  state: Pick<ClusterState, "pods" | "objects" | "appPorts" | "work" | "claimVolumes">,
  cluster: string,
  parts: Pick<IntakeContext, "lookups" | "status" | "decide">,
): IntakeContext & { scheduled: boolean } {
  const now = Date.now();
  const ctx = {
    pods: state.pods,
    objects: state.objects,
    claims: state.claimVolumes,
    appPorts: state.appPorts,
    cluster,
    now,
    ...parts,
    scheduled: false,
    schedule: (uid: string) => {
      state.work.schedule(uid, now);
      ctx.scheduled = true;
    },
  };
  return ctx;
}

/**
 * Records one event's desired state. Never throws for a bad event: it is `rejected` with the field
 * that is wrong. `lookup`: where the pod's stored state is looked up (a snapshot looks up all its
 * pods in one statement beforehand).
 */
export function applyEvent(ctx: IntakeContext, event: WatchEvent, lookup: (uid: string) => Lookup = (uid) => ctx.pods.lookup(uid)): EventResult {
  const raw = event.object as { kind?: unknown; metadata?: { uid?: unknown } } | null;
  const kind = typeof raw?.kind === "string" ? raw.kind : "";
  const rawUid = typeof raw?.metadata?.uid === "string" ? raw.metadata.uid : "";
  if (!(KINDS as readonly string[]).includes(kind)) {
    return { uid: rawUid, kind, outcome: "ignored", message: `kind ${JSON.stringify(kind)} is not one machinelet maps (${KINDS.join(", ")})` };
  }
  // One look at the pod's row serves both the repeat check and the event itself.
  const looked = kind === "Pod" && event.type !== "DELETED" && rawUid !== "";
  const known = looked ? lookup(rawUid) : undefined;
  if (isKnownCopy(event, known)) return { uid: rawUid, kind, outcome: "unchanged" };
  const parsed = parseK8sObject(kind as (typeof KINDS)[number], event.object);
  if (!parsed.ok) return { uid: rawUid, kind, outcome: "rejected", message: parsed.message };
  if (kind === "Pod") {
    const pod = parsed.object as Pod;
    return applyPodEvent(ctx, event.type, pod, looked && pod.metadata.uid === rawUid ? known : lookup(pod.metadata.uid));
  }
  return applyOtherEvent(ctx, kind, event.type, parsed.object as { metadata: { uid: string; name: string; namespace?: string; resourceVersion: string } });
}

/**
 * A repeat or an older copy of a pod event already applied: answered before any parsing, since
 * redelivery is the common case of at-least-once intake. DELETED always goes the full way.
 */
function isKnownCopy(event: WatchEvent, known: Lookup): boolean {
  const rv = (event.object as { metadata?: { resourceVersion?: unknown } }).metadata?.resourceVersion;
  return typeof known === "object" && typeof rv === "string" && !isNewer(rv, known.resourceVersion);
}

function applyPodEvent(ctx: IntakeContext, type: WatchEvent["type"], pod: Pod, known: Lookup): EventResult {
  const { uid, resourceVersion } = pod.metadata;
  const result = (outcome: Outcome, message?: string): EventResult => ({ uid, kind: "Pod", outcome, ...(message ? { message } : {}) });
  if (known === "tombstoned") return result("unchanged", "pod UID was deleted; a deleted pod never comes back");
  const stored = known;

  if (type === "DELETED") {
    if (!stored) {
      // Never seen alive (or state was lost): remember the UID so a late copy cannot resurrect it;
      // a machine that carries it anyway is an orphan for the reconcile sweep.
      ctx.pods.bury(uid, ctx.now);
      return result("applied");
    }
    if (stored.desired === "destroy") return result("unchanged");
    ctx.pods.markDestroy(uid, resourceVersion, ctx.now);
    ctx.schedule(uid);
    return result("applied");
  }

  if (stored && !isNewer(resourceVersion, stored.resourceVersion)) return result("unchanged");

  if (pod.metadata.deletionTimestamp) {
    if (!stored) {
      ctx.pods.bury(uid, ctx.now);
      return result("applied", "pod was already terminating when first seen; no machine is created");
    }
    if (stored.desired !== "run") {
      ctx.pods.noteResourceVersion(uid, resourceVersion, ctx.now);
      return result("unchanged");
    }
    const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
    ctx.status.refresh(ctx.pods.markDeleting(uid, resourceVersion, grace, pod, ctx.now));
    ctx.schedule(uid);
    return result("applied");
  }

  const t = translatePod(pod, ctx.lookups);
  if (podReferences(pod).claims.size > 0) ctx.volumesChanged = true;
  const problem = t.problem;
  const message = problem?.terminal
    ? `cannot run as a machine: ${problem.message}`
    : problem
      ? `waiting: ${problem.message}`
      : t.unsupported.length
        ? `not honoured: ${t.unsupported.join("; ")}`
        : undefined;
  const graceS = pod.spec.terminationGracePeriodSeconds ?? 30;
  const ids = { uid, namespace: pod.metadata.namespace ?? "default", name: pod.metadata.name };
  if (problem && (!stored || t.configHash !== stored.configHash)) {
    ctx.decide(problem.terminal ? { action: "refuse", outcome: "refused", reason: `cannot run as a machine: ${problem.message}`, pod: ids } : { action: "wait", outcome: "blocked", reason: problem.message, pod: ids });
  }
  if (!stored) {
    const m = ctx.found?.get(uid);
    const rec = ctx.pods.admit(
      {
        uid,
        namespace: pod.metadata.namespace ?? "default",
        name: pod.metadata.name,
        resourceVersion,
        pod,
        machineName: t.machineName,
        region: t.region,
        graceS,
        config: t.config,
        configHash: t.configHash,
        minSecretsVersion: t.minSecretsVersion,
        problem,
        unhonoured: t.unsupported,
      },
      ctx.now,
      (rec) => ctx.status.statusOf(rec),
      m && { m, appliedHash: adoptedHash(t, m.config) },
    );
    if (m) {
      ctx.adopted = (ctx.adopted ?? 0) + 1;
      if (ctx.adopted <= ADOPTIONS_DETAILED) ctx.decide({ action: "adopt", outcome: "done", reason: "the pod was not known (state was lost): found its machine by metadata", pod: ids, machine: m.id });
    }
    if (t.config && !rec.settledAsWanted) ctx.schedule(uid);
    ctx.status.announce(rec);
    return result("applied", message);
  }

  // A changed config replaces config, hash and problem; anything else keeps them (a labels-only change leaves the machine alone).
  const configChanged = t.configHash !== stored.configHash || (t.config === null && problem !== null);
  const rec = ctx.pods.reviseSpec(uid, { resourceVersion, pod, graceS, unhonoured: t.unsupported, ...(configChanged ? { translation: translationOf(t) } : {}) }, ctx.now);
  if (configChanged && t.config) ctx.schedule(uid);
  ctx.status.refresh(rec);
  return result("applied", message);
}

/**
 * Services, Secrets, ConfigMaps and PVCs are stored (newest version wins). A Secret, ConfigMap or
 * claim change re-translates the pods that use it (a waiting pod starts, a consumer is updated); a
 * Secret change also has its keys written to Fly by the secret sync, a claim change has its Fly
 * Volume made, grown or released by the volume sync. A Service change re-allocates that Service's app ports (a
 * port keeps its own), re-translates the pods it selected or selects (their `services` entries
 * follow it) and has its Fly app, address and forwarder brought along by the Service sync.
 */
function applyOtherEvent(
  ctx: IntakeContext,
  kind: string,
  type: WatchEvent["type"],
  obj: { metadata: { uid: string; name: string; namespace?: string; resourceVersion: string } },
): EventResult {
  const { uid, resourceVersion } = obj.metadata;
  const mapped = kind === "Secret" || kind === "ConfigMap" || kind === "Service" || kind === "PersistentVolumeClaim";
  const namespace = obj.metadata.namespace ?? "";
  const before = kind === "Service" ? (ctx.objects.get(uid)?.object as Service | undefined) : undefined;
  const changed = (after: Service | undefined): Outcome => {
    if (!mapped) return "queued";
    if (kind === "Secret") ctx.secretsChanged = true;
    if (kind === "PersistentVolumeClaim") ctx.volumesChanged = true;
    if (kind === "Service") {
      ctx.servicesChanged = true;
      ctx.appPorts.replace(appPortsAfter(ctx.appPorts.all(), uid, after));
      reviseSelected(ctx, namespace, before, after);
      // Pods waiting for its address (their Service variables) wait no more once it gets none.
      if (before && isAddressed(before) && !(after && isAddressed(after))) reviseWaiting(ctx, namespace);
    } else reviseDependents(ctx, kind as "Secret" | "ConfigMap" | "PersistentVolumeClaim", namespace, obj.metadata.name);
    return "applied";
  };
  if (kind === "PersistentVolumeClaim") {
    if (ctx.claims.isReleased(uid)) return { uid, kind, outcome: "unchanged", ...(type === "DELETED" ? {} : { message: "claim UID was deleted; a deleted claim never comes back" }) };
    // Even a claim never seen alive is remembered, so a late copy cannot bring it back and a volume of its name is known to be a deleted claim's.
    if (type === "DELETED") ctx.claims.release({ claimUid: uid, namespace, name: obj.metadata.name, volumeName: volumeNameForClaim(uid) }, reclaimPolicyOf(obj as PersistentVolumeClaim) === "Retain", ctx.now);
  }
  if (type === "DELETED") return { uid, kind, outcome: ctx.objects.remove(uid, ctx.now) ? changed(undefined) : kind === "PersistentVolumeClaim" ? "applied" : "unchanged" };
  if (ctx.objects.isDeleted(uid)) return { uid, kind, outcome: "unchanged", message: `${kind} UID was deleted; a deleted object never comes back` };
  const stored = ctx.objects.resourceVersionOf(uid);
  if (stored !== undefined && !isNewer(resourceVersion, stored)) return { uid, kind, outcome: "unchanged" };
  ctx.objects.put({ uid, kind, namespace, name: obj.metadata.name, resourceVersion, object: obj }, ctx.now);
  const outcome = changed(kind === "Service" ? (obj as unknown as Service) : undefined);
  const refused = kind === "PersistentVolumeClaim" ? claimToVolumeRequest(obj as PersistentVolumeClaim, undefined) : undefined;
  const message = !mapped ? `${kind} is stored; its mapping to Fly is not implemented yet` : refused && !refused.ok ? `no Fly Volume can be made: ${refused.reason}` : undefined;
  return { uid, kind, outcome, ...(message ? { message } : {}) };
}
