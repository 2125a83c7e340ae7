import { SNAPSHOT_KINDS, type Snapshot } from "../../shared/contract";
import { applyEvent, type IntakeContext } from "./intake";
import type { Lookup } from "./state";

const uidOf = (o: Record<string, unknown>) => ((o.metadata as { uid?: unknown } | undefined)?.uid as string | undefined) ?? "";

/**
 * Replaces desired state by the snapshot: each object is applied as an ADDED event (stale copies
 * stay no-ops), then whatever is stored but absent is deleted. Returns how many pods that deleted.
 */
export function applySnapshot(ctx: IntakeContext, snapshot: Snapshot): { destroyed: number } {
  let destroyed = 0;
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
  return { destroyed };
}
