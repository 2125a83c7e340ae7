import { z } from "zod";

/**
 * The relay's full lists after a relist (body of `POST /reconcile`). Every list must be present:
 * a missing one would read as "delete everything". `O` is an object as the sender holds it.
 */
export interface Snapshot<O = Record<string, unknown>> {
  pods: O[];
  services: O[];
  secrets: O[];
  configMaps: O[];
  persistentVolumeClaims: O[];
}

/** The kind of the objects in each list (the relay sends list items, which carry no kind). */
export const SNAPSHOT_KINDS = {
  pods: "Pod",
  services: "Service",
  secrets: "Secret",
  configMaps: "ConfigMap",
  persistentVolumeClaims: "PersistentVolumeClaim",
} as const satisfies Record<keyof Snapshot, string>;

const objects = z.array(z.record(z.string(), z.unknown()));
export const snapshotSchema = z.object({
  pods: objects,
  services: objects,
  secrets: objects,
  configMaps: objects,
  persistentVolumeClaims: objects,
}) satisfies z.ZodType<Snapshot>;

/** Body of `POST /reconcile`: `{}` for a pass, `{"snapshot": ...}` to replace desired state first. */
export const reconcileBodySchema = z.object({ snapshot: snapshotSchema.optional() });

/** Answer of `POST /reconcile`. */
export const reconcileCountsSchema = z.object({
  /** Live pods found without a machine: creation scheduled. */
  created: z.number().int(),
  /** Machines whose config or state drifted from their pod: repair scheduled. */
  updated: z.number().int(),
  /** Pods being deleted whose machine still exists: destroy scheduled. */
  destroyed: z.number().int(),
  /** Machines of this cluster that no pod owns, destroyed by this pass. */
  orphansDestroyed: z.number().int(),
  unchanged: z.number().int(),
});
export type ReconcileCounts = z.infer<typeof reconcileCountsSchema>;
