import { z } from "zod";
import { StoredObjectMeta } from "./object-meta";
import { NonNegativeQuantity, Quantity } from "./quantity";

/** A stored `core/v1 PersistentVolumeClaim`: what sizing and placing a Fly Volume reads. */
export const PersistentVolumeClaim = z.looseObject({
  apiVersion: z.literal("v1").optional(),
  kind: z.literal("PersistentVolumeClaim").optional(),
  metadata: StoredObjectMeta,
  spec: z.looseObject({
    accessModes: z.array(z.enum(["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"])).optional(),
    resources: z.looseObject({ requests: z.record(z.string(), NonNegativeQuantity).optional(), limits: z.record(z.string(), NonNegativeQuantity).optional() }).optional(),
    storageClassName: z.string().nullish(),
    volumeName: z.string().optional(),
    volumeMode: z.enum(["Filesystem", "Block"]).optional(),
  }),
  status: z.looseObject({ phase: z.string().optional(), capacity: z.record(z.string(), Quantity).optional() }).optional(),
});
export type PersistentVolumeClaim = z.infer<typeof PersistentVolumeClaim>;
