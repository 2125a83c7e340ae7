import { SNAPSHOT_KINDS, type Snapshot } from "../../shared/contract";
import type { Machine } from "../../machines/schemas";
import { adoptionSummary } from "./decision-log";
import { applyEvent, type IntakeContext } from "./intake";
import { machinesByPod } from "./reconcile";
import type { Lookup } from "./state";

const uidOf = (o: Record<string, unknown>) => ((o.metadata as { uid?: unknown } | undefined)?.uid as string | undefined) ?? "";

/**
 * Replaces desired state by the snapshot: each object is applied as an ADDED event (stale copies
 * stay no-ops), then whatever is stored but absent is deleted. Returns how many pods that deleted
 * and how many it adopted.
 * `listed`: the cluster's machines, listed just before; a pod not stored (state was lost) is
 * admitted bound to the machine that carries its UID.
 */
export function applySnapshot(ctx: IntakeContext, snapshot: Snapshot, listed?: readonly Machine[]): { destroyed: number; adopted: number } {
  let destroyed = 0;
  if (listed) ctx.found = machinesByPod(listed, ctx.cluster);
  for (const [list, kind] of Object.entries(SNAPSHOT_KINDS) as Array<[keyof Snapshot, string]>) {
    const present = new Set<string>();
    // Every pod's stored state in one statement; each answer serves once (a UID listed twice is looked up again, after its first copy).
    const looked = kind === "Pod" ? ctx.pods.lookupMany(snapshot[list].map(uidOf)) : new Map<string, Lookup>();
    const lookup = (uid: string): Lookup => {
      if (!looked.has(uid)) return ctx.pods.lookup(uid);
      const known = looked.get(uid);
      looked.delete(uid);
      return known;
    };
    for (const object of snapshot[list]) {
      present.add(uidOf(object));
      applyEvent(ctx, { type: "ADDED", object: { kind, apiVersion: "v1", ...object } }, lookup);
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
  const adopted = ctx.adopted ?? 0;
  const summary = adoptionSummary(adopted);
  if (summary) ctx.decide(summary);
  return { destroyed, adopted };
}
