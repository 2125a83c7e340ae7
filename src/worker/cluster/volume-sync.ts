import { MachinesApiError } from "../../machines/errors";
import type { MachinesClient } from "../../machines/client";
import type { PersistentVolumeClaim } from "../../shared/k8s";
import { claimSizeGb, claimToVolumeRequest, reclaimPolicyOf } from "../translate/claim-to-volume";
import { podReferences } from "../translate/pod-references";
import { REGION_ANNOTATION } from "../translate/region";
import type { BudgetAction, RateBudget } from "./rate-budget";
import type { ClaimVolumeStore, ObjectStore, PodStore } from "./state";

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

class BudgetWait {
  constructor(readonly ms: number) {}
}

/**
 * Brings Fly Volumes to the claims pods use: creates one per claim a runnable pod mounts (in that
 * pod's `fly.io/region`, crash-safe: the intent is recorded first and a retry finds the volume by
 * name), extends it when the claim grows, and destroys a deleted claim's volume (reclaim Delete)
 * once no machine holds it, or lets it go (Retain). Every call is paced by its own budget.
 */
export async function syncVolumes(ctx: VolumeSyncContext): Promise<VolumeSyncResult> {
  const result: VolumeSyncResult = { bound: [], restart: [] };
  const call = async <T>(action: BudgetAction, fn: () => Promise<T>): Promise<T> => {
    const waitMs = ctx.budget.reserve(action, `${ctx.app}/volumes`);
    if (waitMs > 0) throw new BudgetWait(waitMs);
    return fn();
  };
  let listed: Awaited<ReturnType<VolumeSyncContext["volumes"]["listVolumes"]>> | undefined;
  const findByName = async (name: string) => (listed ??= await call("list", () => ctx.volumes.listVolumes(ctx.app))).find((v) => v.name === name && v.state !== "pending_destroy" && v.state !== "destroyed");

  try {
    for (const { claim, region, users } of demandedClaims(ctx)) {
      const uid = claim.metadata.uid;
      const row = ctx.claims.get(uid);
      const retain = reclaimPolicyOf(claim) === "Retain";
      if (row && row.retain !== retain) ctx.claims.setRetain(uid, retain, ctx.now());
      if (row?.volumeId) {
        const wanted = claimSizeGb(claim);
        if (wanted !== undefined && row.sizeGb !== null && wanted > row.sizeGb) {
          const r = await call("volume", () => ctx.volumes.extendVolume(ctx.app, row.volumeId!, wanted));
          ctx.claims.resized(uid, r.volume?.size_gb ?? wanted, ctx.now());
          if (r.needs_restart) result.restart.push(...users);
        }
        continue;
      }
      const req = claimToVolumeRequest(claim, region);
      if (!req.ok) continue; // intake told the claim's sender why; its pods keep waiting for a volume
      const found = row?.createIntentAt != null ? await findByName(req.name) : undefined;
      const volume =
        found ??
        (await call("volume", async () => {
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
    await releaseDeletedClaims(ctx, call);
  } catch (e) {
    if (!(e instanceof BudgetWait)) throw e;
    result.waitMs = e.ms;
  }
  return result;
}

/** Claims whose object is gone: destroy the volume (never while a machine holds it), or let it go when retained. */
async function releaseDeletedClaims(ctx: VolumeSyncContext, call: <T>(a: BudgetAction, fn: () => Promise<T>) => Promise<T>): Promise<void> {
  for (const row of ctx.claims.all()) {
    if (ctx.objects.get(row.claimUid)) continue;
    if (!row.volumeId || row.retain) {
      if (!row.volumeId && row.createIntentAt !== null) continue; // a create may still land: the next pass finds it by name
      ctx.claims.forget(row.claimUid);
      continue;
    }
    try {
      const v = await call("get", () => ctx.volumes.getVolume(ctx.app, row.volumeId!));
      if (v.attached_machine_id) continue;
      if (v.state !== "pending_destroy" && v.state !== "destroyed") await call("volume", () => ctx.volumes.deleteVolume(ctx.app, row.volumeId!));
    } catch (e) {
      // Gone already; a 412 means a machine still holds it: try again on a later pass.
      if (e instanceof MachinesApiError && e.kind === "precondition") continue;
      if (!(e instanceof MachinesApiError && e.kind === "not_found")) throw e;
    }
    ctx.claims.forget(row.claimUid);
  }
}

/** Each stored claim a runnable pod mounts, with the first such pod's region and every pod using it. */
function demandedClaims(ctx: VolumeSyncContext): { claim: PersistentVolumeClaim; region: string | undefined; users: string[] }[] {
  const out = new Map<string, { claim: PersistentVolumeClaim; region: string | undefined; users: string[] }>();
  for (const rec of ctx.pods.all()) {
    if (rec.desired !== "run" || rec.problem?.terminal) continue;
    for (const name of podReferences(rec.pod).claims) {
      const stored = ctx.objects.find("PersistentVolumeClaim", rec.namespace, name);
      if (!stored) continue;
      const entry = out.get(stored.uid) ?? { claim: stored.object as PersistentVolumeClaim, region: rec.pod.metadata.annotations?.[REGION_ANNOTATION], users: [] };
      entry.users.push(rec.uid);
      out.set(stored.uid, entry);
    }
  }
  return [...out.values()];
}
