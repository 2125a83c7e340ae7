import { z } from "zod";
import { applyEvent, type IntakeContext } from "./intake";

/** The relay's full lists after a relist (contract: POST .../reconcile). Every list must be present: a missing one would read as "delete everything". */
export const snapshotSchema = z.object({
  pods: z.array(z.record(z.string(), z.unknown())),
  services: z.array(z.record(z.string(), z.unknown())),
  secrets: z.array(z.record(z.string(), z.unknown())),
  configMaps: z.array(z.record(z.string(), z.unknown())),
  persistentVolumeClaims: z.array(z.record(z.string(), z.unknown())),
});
export type Snapshot = z.infer<typeof snapshotSchema>;

const KIND_OF_LIST = {
  pods: "Pod",
  services: "Service",
  secrets: "Secret",
  configMaps: "ConfigMap",
  persistentVolumeClaims: "PersistentVolumeClaim",
} as const satisfies Record<keyof Snapshot, string>;

const uidOf = (o: Record<string, unknown>) => ((o.metadata as { uid?: unknown } | undefined)?.uid as string | undefined) ?? "";

/**
 * Replaces desired state by the snapshot: each object is applied as an ADDED event (stale copies
 * stay no-ops), then whatever is stored but absent is deleted. Returns how many pods that deleted.
 */
export function applySnapshot(ctx: IntakeContext, snapshot: Snapshot): { destroyed: number } {
  let destroyed = 0;
  for (const [list, kind] of Object.entries(KIND_OF_LIST) as Array<[keyof Snapshot, string]>) {
    const present = new Set<string>();
    for (const object of snapshot[list]) {
      present.add(uidOf(object));
      applyEvent(ctx, { type: "ADDED", object: { kind, apiVersion: "v1", ...object } });
    }
    if (kind === "Pod") {
      for (const row of ctx.store.all()) {
        if (present.has(row.uid) || row.desired === "destroy") continue;
        ctx.store.update(row.uid, { desired: "destroy" });
        ctx.schedule(row.uid);
        destroyed++;
      }
    } else {
      for (const { uid } of ctx.sql.exec<{ uid: string }>("SELECT uid FROM objects WHERE kind = ?", kind).toArray()) {
        if (!present.has(uid)) ctx.sql.exec("DELETE FROM objects WHERE uid = ?", uid);
      }
    }
  }
  return { destroyed };
}
