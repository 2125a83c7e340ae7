import { z } from "zod";

const StringMap = z.record(z.string(), z.string());

/** `meta/v1 ObjectMeta`: every field optional, as in the OpenAPI spec (a manifest before creation). */
export const ObjectMeta = z.looseObject({
  name: z.string().optional(),
  generateName: z.string().optional(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.int().optional(),
  creationTimestamp: z.string().nullish(),
  deletionTimestamp: z.string().nullish(),
  deletionGracePeriodSeconds: z.int().nonnegative().nullish(),
  labels: StringMap.optional(),
  annotations: StringMap.optional(),
  finalizers: z.array(z.string()).optional(),
  ownerReferences: z.array(z.looseObject({ kind: z.string(), name: z.string(), uid: z.string() })).optional(),
});
export type ObjectMeta = z.infer<typeof ObjectMeta>;

/**
 * The metadata of an object the API server has stored, which is what watch events carry:
 * identity and version are always set, and machinelet keys everything on them.
 */
export const StoredObjectMeta = ObjectMeta.extend({
  name: z.string().min(1),
  namespace: z.string().min(1),
  uid: z.string().min(1),
  resourceVersion: z.string().min(1),
});
export type StoredObjectMeta = z.infer<typeof StoredObjectMeta>;
