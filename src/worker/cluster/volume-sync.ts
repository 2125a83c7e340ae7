import { MachinesApiError } from "../../machines/errors";
import type { MachinesClient } from "../../machines/client";
import type { Volume } from "../../machines/schemas";
import type { PersistentVolumeClaim } from "../../shared/k8s";
import { claimSizeGb, claimToVolumeRequest, reclaimPolicyOf } from "../translate/claim-to-volume";
import { REGION_ANNOTATION } from "../translate/region";
import { BudgetWait, paced, type BudgetAction, type RateBudget } from "./rate-budget";
import type { ClaimVolume, ClaimVolumeStore, ObjectStore, PodStore } from "./state";

export interface VolumeSyncContext {
  volumes: Pick<MachinesClient, "createVolume" | "listVolumes" | "getVolume" | "deleteVolume" | "extendVolume">;
  app: string;
  pods: PodStore;
  objects: ObjectStore;
  claims: ClaimVolumeStore;
  budget: RateBudget;
  now(): number;
}

export interface VolumeSyncResult {
  /** Claims that got their volume: their pods must be re-translated. */
  bound: { namespace: string; name: string }[];
  /** Pods whose machine must restart to see a grown volume (`needs_restart`). */
  restart: string[];
  /** ms until the volume budget allows the next call, when some work had to wait */
  waitMs?: number;
}

type Call = <T>(holder: string, action: BudgetAction, fn: () => Promise<T>) => Promise<T>;
type Demand = { claim: PersistentVolumeClaim; users: string[] };

/**
 * Brings Fly Volumes to the claims pods use: creates one per claim a runnable pod mounts (in that
 * pod's `fly.io/region`, crash-safe: the intent is recorded first and a retry finds the volume by
 * name), extends it when the claim grows, and destroys a deleted claim's volume (reclaim Delete)
 * once no machine holds it, or lets it go (Retain). Every call is paced by the cluster's budget,
 * each claim holding its own slots: a claim that waits for one does not hold up the others.
 */
export async function syncVolumes(ctx: VolumeSyncContext): Promise<VolumeSyncResult> {
  const result: VolumeSyncResult = { bound: [], restart: [] };
  const call: Call = (holder, action, fn) => paced(ctx.budget, holder, action, ctx.app, fn);
  let listed: Promise<Awaited<ReturnType<VolumeSyncContext["volumes"]["listVolumes"]>>> | undefined;
  const findByName = async (name: string) =>
    (await (listed ??= call("volume-sync", "list_volumes", () => ctx.volumes.listVolumes(ctx.app)))).find((v) => v.name === name && v.state !== "pending_destroy" && v.state !== "destroyed");
  const step = async (work: () => Promise<void>) => {
    try {
      await work();
    } catch (e) {
      if (!(e instanceof BudgetWait)) throw e;
      result.waitMs = Math.min(result.waitMs ?? Infinity, e.ms);
    }
  };
  for (const demand of demandedClaims(ctx)) await step(() => provide(ctx, call, findByName, demand, result));
  for (const row of ctx.claims.all()) if (!ctx.objects.get(row.claimUid)) await step(() => release(ctx, call, row));
  return result;
}

/** A claim in use: its volume made (or found again after a lost answer), or grown to the claim's size. */
async function provide(ctx: VolumeSyncContext, call: Call, findByName: (name: string) => Promise<Volume | undefined>, { claim, users }: Demand, result: VolumeSyncResult): Promise<void> {
  const uid = claim.metadata.uid;
  const row = ctx.claims.get(uid);
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
  const found = row?.createIntentAt != null ? await findByName(req.name) : undefined;
  const volume =
    found ??
    (await call(`claim:${uid}`, "create_volume", async () => {
      ctx.claims.markCreateIntent({ claimUid: uid, namespace: claim.metadata.namespace, name: claim.metadata.name, volumeName: req.name }, retain, ctx.now());
      try {
        return await ctx.volumes.createVolume(ctx.app, { name: req.name, size_gb: req.sizeGb, encrypted: true, ...(req.region ? { region: req.region } : {}) });
      } catch (e) {
        if (e instanceof MachinesApiError && !e.mayHaveSucceeded) ctx.claims.clearCreateIntent(uid);
        throw e;
      }
    }));
  ctx.claims.bind(uid, volume.id!, volume.region!, volume.size_gb ?? req.sizeGb, ctx.now());
  result.bound.push({ namespace: claim.metadata.namespace, name: claim.metadata.name });
}

/** A claim whose object is gone: destroy the volume (never while a machine holds it), or let it go when retained. */
async function release(ctx: VolumeSyncContext, call: Call, row: ClaimVolume): Promise<void> {
  if (!row.volumeId || row.retain) {
    if (!row.volumeId && row.createIntentAt !== null) return; // a create may still land: the next pass finds it by name
    ctx.claims.forget(row.claimUid);
    return;
  }
  try {
    const holder = `claim:${row.claimUid}`;
    const v = await call(holder, "get_volume", () => ctx.volumes.getVolume(ctx.app, row.volumeId!));
    if (v.attached_machine_id) return;
    if (v.state !== "pending_destroy" && v.state !== "destroyed") await call(holder, "delete_volume", () => ctx.volumes.deleteVolume(ctx.app, row.volumeId!));
  } catch (e) {
    // Gone already; a 412 means a machine still holds it: try again on a later pass.
    if (e instanceof MachinesApiError && e.kind === "precondition") return;
    if (!(e instanceof MachinesApiError && e.kind === "not_found")) throw e;
  }
  ctx.claims.forget(row.claimUid);
}

/** Each stored claim a runnable pod mounts, with every pod using it (from the reference index). */
function demandedClaims(ctx: VolumeSyncContext): Demand[] {
  return ctx.pods.refs.claimsInUse().flatMap(({ namespace, name, users }) => {
    const stored = ctx.objects.find("PersistentVolumeClaim", namespace, name);
    return stored ? [{ claim: stored.object as PersistentVolumeClaim, users }] : [];
  });
}
