import { z } from "zod";
import { StoredObjectMeta } from "./object-meta";

/** Standard base64 as the API server emits `[]byte` fields. */
export const Base64 = z.string().regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, { error: "expected base64" });

/** A stored `core/v1 Secret`. Watch events only carry `data` (base64); `stringData` is write-only. */
export const Secret = z.looseObject({
  apiVersion: z.literal("v1").optional(),
  kind: z.literal("Secret").optional(),
  metadata: StoredObjectMeta,
  type: z.string().optional(),
  data: z.record(z.string(), Base64).nullish(),
  immutable: z.boolean().optional(),
});
export type Secret = z.infer<typeof Secret>;
