import { z } from "zod";
import { MAX_ANNOTATIONS_BYTES } from "./limits";
import { Dns1123Label, Dns1123Subdomain, LabelValue, QualifiedName } from "./names";

export const Labels = z.record(QualifiedName, LabelValue);
const Annotations = z
  .record(QualifiedName, z.string())
  .refine((a) => Object.entries(a).reduce((n, [k, v]) => n + k.length + v.length, 0) <= MAX_ANNOTATIONS_BYTES, {
    error: `may not be more than ${MAX_ANNOTATIONS_BYTES} bytes in total (keys and values)`,
  });

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
  labels: Labels.optional(),
  annotations: Annotations.optional(),
  finalizers: z.array(z.string()).optional(),
  ownerReferences: z.array(z.looseObject({ kind: z.string(), name: z.string(), uid: z.string() })).optional(),
});
export type ObjectMeta = z.infer<typeof ObjectMeta>;

/**
 * The metadata of an object the API server has stored, which is what watch events carry:
 * identity and version are always set, and machinelet keys everything on them. `name` follows
 * the kind's naming rule (a DNS-1123 subdomain unless the kind says otherwise).
 */
export const storedObjectMeta = (name: z.ZodType<string, string> = Dns1123Subdomain) =>
  ObjectMeta.extend({
    name: z.string().min(1).pipe(name),
    namespace: z.string().min(1).pipe(Dns1123Label),
    uid: z.string().min(1).max(128),
    resourceVersion: z.string().min(1).max(64),
  });
export const StoredObjectMeta = storedObjectMeta();
export type StoredObjectMeta = z.infer<typeof StoredObjectMeta>;
