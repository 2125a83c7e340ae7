import { MachinesApiError } from "../../machines/errors";
import type { MachinesClient } from "../../machines/client";
import type { Volume } from "../../machines/schemas";
import type { PersistentVolumeClaim } from "../../shared/k8s";
import { claimSizeGb, claimToVolumeRequest, reclaimPolicyOf } from "../translate/claim-to-volume";
import { REGION_ANNOTATION } from "../translate/region";
import { LIST_SETTLE_MS } from "./converge-step";
import { BudgetWait, paced, type BudgetAction, type RateBudget } from "./rate-budget";
import { TOMBSTONE_RETENTION_MS, type PodStore } from "./state";
import { sweepVolumes, type VolumeSweepContext } from "./volume-sweep";

export interface VolumeSyncContext extends VolumeSweepContext {
  volumes: Pick<MachinesClient, "createVolume" | "listVolumes" | "deleteVolume" | "extendVolume">;
  pods: PodStore;
  budget: RateBudget;
}

export interface VolumeSyncResult {
  /** Claims that got their volume: their pods must be re-translated. */
  bound: { namespace: string; name: string }[];
  /** Pods whose machine must restart to see a grown volume (`needs_restart`). */
  restart: string[];
  /** Volumes of deleted claims the sweep destroyed. */
  destroyed: number;
  /** ms until the volume budget allows the next call, when some work had to wait */
  waitMs?: number;
}

type Call = <T>(holder: string, action: BudgetAction, fn: () => Promise<T>) => Promise<T>;
type Demand = { claim: PersistentVolumeClaim; users: string[] };

/**
 * Brings Fly Volumes to the claims pods use: creates one per claim a runnable pod mounts (in that
 * pod's `fly.io/region`, crash-safe: the app's volumes are looked up by the claim's name before
 * any create, so neither a retry nor a claim whose row was lost makes a second one), and extends
 * it when the claim grows. With `sweep` (reconcile pass `sweep.pass`) it first sweeps the app's
 * volumes (volume-sweep.ts: adopts, reports orphans, destroys deleted claims' volumes). Every call
 * is paced by the cluster's budget, each claim holding its own slots: a claim that waits for one
 * does not hold up the others.
 */
export async function syncVolumes(ctx: VolumeSyncContext, sweep?: { pass: number }): Promise<VolumeSyncResult> {
  const result: VolumeSyncResult = { bound: [], restart: [], destroyed: 0 };
  const call: Call = (holder, action, fn) => paced(ctx.budget, holder, action, ctx.app, fn);
  let listed: Promise<Volume[]> | undefined;
  const list = () => (listed ??= call("volume-sync", "list_volumes", () => ctx.volumes.listVolumes(ctx.app)));
  const findByName = async (name: string) => (await list()).find((v) => v.name === name && v.state !== "pending_destroy" && v.state !== "destroyed");
  const step = async (work: () => Promise<void>) => {
    try {
      await work();
    } catch (e) {
      if (!(e instanceof BudgetWait)) throw e;
      result.waitMs = Math.min(result.waitMs ?? Infinity, e.ms);
    }
  };
  if (sweep) await step(async () => void (result.destroyed = await sweepVolumes(ctx, call, await list(), sweep.pass)));
  for (const demand of demandedClaims(ctx)) await step(() => provide(ctx, call, findByName, demand, result));
  ctx.claims.pruneTombstones(ctx.now() - TOMBSTONE_RETENTION_MS);
  return result;
}

/** A claim in use: its volume made (or found by name first), or grown to the claim's size. */
async function provide(ctx: VolumeSyncContext, call: Call, findByName: (name: string) => Promise<Volume | undefined>, { claim, users }: Demand, result: VolumeSyncResult): Promise<void> {
  const uid = claim.metadata.uid;
  const row = ctx.claims.get(uid);
  if (row?.releasedAt != null) return; // a deleted claim's UID never gets a volume again
  const retain = reclaimPolicyOf(claim) === "Retain";
  if (row && row.retain !== retain) ctx.claims.setRetain(uid, retain, ctx.now());
  if (row?.volumeId) {
    const wanted = claimSizeGb(claim);
    if (wanted === undefined || row.sizeGb === null || wanted <= row.sizeGb) return;
    const r = await call(`claim:${uid}`, "extend_volume", () => ctx.volumes.extendVolume(ctx.app, row.volumeId!, wanted));
    ctx.claims.resized(uid, r.volume?.size_gb ?? wanted, ctx.now());
    if (r.needs_restart) result.restart.push(...users);
    return;
  }
  // The first pod's region (parsed only for a claim that still needs its volume).
  const region = ctx.pods.get(users[0]!)?.pod.metadata.annotations?.[REGION_ANNOTATION];
  const req = claimToVolumeRequest(claim, region);
  if (!req.ok) return; // intake told the claim's sender why; its pods keep waiting for a volume
  const identity = { claimUid: uid, namespace: claim.metadata.namespace, name: claim.metadata.name, volumeName: req.name };
  // A create whose answer was lost may have made a volume no list shows yet: the next sync looks.
  if (row?.createIntentAt != null && ctx.now() - row.createIntentAt < LIST_SETTLE_MS) return;
  const found = await findByName(req.name);
  if (found) ctx.claims.adopt(identity, retain, { id: found.id!, region: found.region!, sizeGb: found.size_gb ?? req.sizeGb }, ctx.now());
  else if (claim.metadata.deletionTimestamp) {
    // A claim being deleted (held by a finalizer such as pvc-protection) gets no new volume: no pod
    // may start on it, as the kubelet refuses, and the volume would only wait to be destroyed.
    return;
  } else {
    const volume = await call(`claim:${uid}`, "create_volume", async () => {
      ctx.claims.markCreateIntent(identity, retain, ctx.now());
      try {
        return await ctx.volumes.createVolume(ctx.app, { name: req.name, size_gb: req.sizeGb, encrypted: true, ...(req.region ? { region: req.region } : {}) });
      } catch (e) {
        if (e instanceof MachinesApiError && !e.mayHaveSucceeded) ctx.claims.clearCreateIntent(uid);
        throw e;
      }
    });
    ctx.claims.bind(uid, volume.id!, volume.region!, volume.size_gb ?? req.sizeGb, ctx.now());
  }
  result.bound.push({ namespace: claim.metadata.namespace, name: claim.metadata.name });
}

/** Each stored claim a runnable pod mounts, with every pod using it (from the reference index). */
function demandedClaims(ctx: VolumeSyncContext): Demand[] {
  return ctx.pods.refs.claimsInUse().flatMap(({ namespace, name, users }) => {
    const stored = ctx.objects.find("PersistentVolumeClaim", namespace, name);
    return stored ? [{ claim: stored.object as PersistentVolumeClaim, users }] : [];
  });
}
