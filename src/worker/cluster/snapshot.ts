import { SNAPSHOT_KINDS, type Snapshot } from "../../shared/contract";
import type { Machine } from "../../machines/schemas";
import { adoptionSummary } from "./decision-log";
import { applyEvent, type IntakeContext } from "./intake";
import { machinesByPod } from "./reconcile";
import type { Lookup } from "./state";

type SnapshotObject = Snapshot[keyof Snapshot][number];
const uidOf = (o: Record<string, unknown>) => ((o.metadata as { uid?: unknown } | undefined)?.uid as string | undefined) ?? "";
const added = (kind: string, object: SnapshotObject) => ({ type: "ADDED" as const, object: { kind, apiVersion: "v1", ...object } });

/**
 * The stored state of every pod in `pods`, read in one statement; each answer serves once (a UID
 * listed twice is looked up again, after its first copy was applied).
 */
function podLookups(ctx: IntakeContext, pods: readonly SnapshotObject[]): (uid: string) => Lookup {
  const looked = ctx.pods.lookupMany(pods.map(uidOf));
  return (uid) => {
    if (!looked.has(uid)) return ctx.pods.lookup(uid);
    const known = looked.get(uid);
    looked.delete(uid);
    return known;
  };
}

/**
 * Replaces desired state by the snapshot: each object is applied as an ADDED event (stale copies
 * stay no-ops), then whatever is stored but absent is deleted. Returns how many pods that deleted,
 * and the snapshot's pods the store does not know: they are not admitted here but by
 * `admitUnknownPods`, once the cluster's machines are listed (after a loss of state, each is found
 * running). Every other change is applied at once, so that no event applied meanwhile is older
 * than the snapshot's view (a pod created since is not in it, and must not be taken as deleted).
 */
export function applySnapshot(ctx: IntakeContext, snapshot: Snapshot): { destroyed: number; unknownPods: SnapshotObject[] } {
  let destroyed = 0;
  const unknownPods: SnapshotObject[] = [];
  for (const [list, kind] of Object.entries(SNAPSHOT_KINDS) as Array<[keyof Snapshot, string]>) {
    const present = new Set<string>();
    const lookup = kind === "Pod" ? podLookups(ctx, snapshot[list]) : () => undefined;
    for (const object of snapshot[list]) {
      const uid = uidOf(object);
      present.add(uid);
      const known = lookup(uid);
      if (kind === "Pod" && known === undefined && uid !== "") unknownPods.push(object);
      else applyEvent(ctx, added(kind, object), () => known);
    }
    if (kind === "Pod") {
      for (const uid of ctx.pods.liveUids()) {
        if (present.has(uid)) continue;
        ctx.pods.markDestroy(uid, null, ctx.now);
        ctx.schedule(uid);
        destroyed++;
      }
    } else {
      for (const uid of ctx.objects.uidsOfKind(kind)) {
        const stored = ctx.objects.get(uid);
        if (!present.has(uid) && stored) applyEvent(ctx, { type: "DELETED", object: { kind, apiVersion: "v1", ...(stored.object as Record<string, unknown>) } });
      }
    }
  }
  return { destroyed, unknownPods };
}

/**
 * Admits the pods `applySnapshot` left (each as an ADDED event: one an event admitted or deleted
 * meanwhile is a stale copy now). `listed`: the cluster's machines, listed since; a pod is
 * admitted bound to the machine carrying its UID (undefined: the list failed, they are admitted
 * without, and the pass adopts what it finds). Returns how many were bound.
 */
export function admitUnknownPods(ctx: IntakeContext, pods: readonly SnapshotObject[], listed: readonly Machine[] | undefined): number {
  if (listed) ctx.found = machinesByPod(listed, ctx.cluster);
  const lookup = podLookups(ctx, pods);
  for (const p of pods) {
    const known = lookup(uidOf(p));
    applyEvent(ctx, added("Pod", p), () => known);
  }
  const adopted = ctx.adopted ?? 0;
  const summary = adoptionSummary(adopted);
  if (summary) ctx.decide(summary);
  return adopted;
}
