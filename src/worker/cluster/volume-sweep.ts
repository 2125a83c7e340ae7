import { MachinesApiError } from "../../machines/errors";
import type { Volume } from "../../machines/schemas";
import type { PersistentVolumeClaim } from "../../shared/k8s";
import { reclaimPolicyOf, volumeNameForClaim } from "../translate/claim-to-volume";
import type { Decision } from "./decision-log";
import type { BudgetAction } from "./rate-budget";
import type { ClaimVolume, ClaimVolumeStore, ObjectStore, OrphanDisposition, VolumeOrphanStore } from "./state";

/** This cluster's mark on a volume: the name `volumeNameForClaim` gives. Any other volume of the app is never touched. */
export const CLAIM_VOLUME_NAME = /^pvc_[0-9a-f]{26}$/;

export interface VolumeSweepContext {
  volumes: { deleteVolume(app: string, id: string): Promise<unknown> };
  app: string;
  objects: ObjectStore;
  claims: ClaimVolumeStore;
  orphans: VolumeOrphanStore;
  now(): number;
  decide(d: Decision): void;
}

type Call = <T>(holder: string, action: BudgetAction, fn: () => Promise<T>) => Promise<T>;

const WHY: Record<OrphanDisposition, string> = {
  unknown: "no record of its claim (as after a loss of state): kept until its claim is seen again or an operator deletes it",
  duplicate: "a second volume of a live claim's name: kept for an operator to look at",
  retained: "its claim is deleted with reclaim policy Retain: kept",
  attached: "its claim is deleted but a machine holds it: destroyed once the machine lets go",
  releasing: "its claim is deleted (reclaim Delete): destroyed if the next pass still finds it unattached",
};

/**
 * One pass `pass` over the app's volumes (`listed`): a volume named for a live claim that has no
 * volume recorded is adopted (a create whose answer was lost, or state lost); one that no live
 * claim owns is reported (`volume_orphans`, the decision log) and, when its claim's UID is
 * tombstoned with reclaim Delete and no machine holds it, destroyed once seen so on two
 * consecutive passes. Tombstones whose volume is no longer listed are marked gone. Returns how
 * many volumes it destroyed.
 */
export async function sweepVolumes(ctx: VolumeSweepContext, call: Call, listed: readonly Volume[], pass: number): Promise<number> {
  const byName = new Map(ctx.claims.all().map((r) => [r.volumeName, r]));
  let liveByName: Map<string, PersistentVolumeClaim> | undefined;
  const liveClaim = (name: string) =>
    (liveByName ??= new Map(
      ctx.objects.uidsOfKind("PersistentVolumeClaim").flatMap((uid) => {
        const claim = ctx.objects.get(uid)?.object as PersistentVolumeClaim | undefined;
        return claim ? [[volumeNameForClaim(uid), claim] as const] : [];
      }),
    )).get(name);
  const orphans = new Set<string>();
  const names = new Set<string>();
  let destroyed = 0;

  for (const v of listed) {
    if (!v.id || !v.name || !CLAIM_VOLUME_NAME.test(v.name) || v.state === "pending_destroy" || v.state === "destroyed") continue;
    names.add(v.name);
    const row = byName.get(v.name);
    if (row && row.releasedAt === null && row.volumeId === v.id) continue;
    const adopted = adopt(ctx, row, row ? undefined : liveClaim(v.name), v);
    if (adopted) {
      byName.set(v.name, adopted);
      continue;
    }
    const disposition: OrphanDisposition = !row ? "unknown" : row.releasedAt === null ? "duplicate" : row.retain ? "retained" : v.attached_machine_id ? "attached" : "releasing";
    const seenBefore = ctx.orphans.get(v.id);
    if (disposition === "releasing" && seenBefore?.disposition === "releasing" && seenBefore.lastPass === pass - 1) {
      if (await destroy(ctx, call, v, row!)) destroyed++;
      else orphans.add(v.id); // a machine took it meanwhile: reported again next pass
      continue;
    }
    orphans.add(v.id);
    const fresh = ctx.orphans.sighted({ volumeId: v.id, name: v.name, claimUid: row?.claimUid ?? null, disposition, machineId: v.attached_machine_id ?? null }, pass, ctx.now());
    const claim = row ? ` of claim ${row.namespace}/${row.name} (${row.claimUid})` : "";
    if (fresh) ctx.decide({ action: "orphan-volume", outcome: disposition === "releasing" ? "scheduled" : "blocked", reason: `volume ${v.id} (${v.name})${claim}: ${WHY[disposition]}`, machine: v.attached_machine_id ?? null });
  }

  // A tombstone's volume is gone once no volume of its name is listed (a create that landed late lists it again).
  for (const row of byName.values()) {
    if (row.releasedAt === null) continue;
    const listedNow = names.has(row.volumeName);
    if (listedNow && row.volumeGoneAt !== null) ctx.claims.volumeGone(row.claimUid, null);
    else if (!listedNow && row.volumeGoneAt === null) ctx.claims.volumeGone(row.claimUid, ctx.now());
  }
  ctx.orphans.keepOnly(orphans);
  return destroyed;
}

/** A volume named for a live claim without one recorded: bound to it (the claim's row as it is now), else undefined. */
function adopt(ctx: VolumeSweepContext, row: ClaimVolume | undefined, claim: PersistentVolumeClaim | undefined, v: Volume): ClaimVolume | undefined {
  if (row && (row.releasedAt !== null || row.volumeId !== null)) return undefined;
  const identity = row ?? (claim && { claimUid: claim.metadata.uid, namespace: claim.metadata.namespace ?? "default", name: claim.metadata.name, volumeName: v.name! });
  if (!identity) return undefined;
  ctx.claims.adopt(identity, row ? row.retain : reclaimPolicyOf(claim!) === "Retain", { id: v.id!, region: v.region!, sizeGb: v.size_gb! }, ctx.now());
  ctx.decide({ action: "adopt-volume", outcome: "done", reason: `found volume ${v.id} (${v.name}) of claim ${identity.namespace}/${identity.name} with none recorded (a create whose answer was lost, or state lost): bound to it instead of making another` });
  return ctx.claims.get(identity.claimUid);
}

/** Destroys a deleted claim's volume; false when Fly says a machine holds it (412). */
async function destroy(ctx: VolumeSweepContext, call: Call, v: Volume, row: ClaimVolume): Promise<boolean> {
  try {
    await call(`claim:${row.claimUid}`, "delete_volume", () => ctx.volumes.deleteVolume(ctx.app, v.id!));
  } catch (e) {
    if (e instanceof MachinesApiError && e.kind === "precondition") return false;
    if (!(e instanceof MachinesApiError && e.kind === "not_found")) throw e;
  }
  ctx.decide({ action: "destroy-orphan-volume", outcome: "done", reason: `volume ${v.id} (${v.name}) of deleted claim ${row.namespace}/${row.name} (${row.claimUid}), reclaim Delete, unattached on two consecutive passes` });
  return true;
}
