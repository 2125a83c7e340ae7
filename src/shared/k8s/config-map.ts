import { z } from "zod";
import { StoredObjectMeta } from "./object-meta";
import { Base64 } from "./secret";

/** A stored `core/v1 ConfigMap`: UTF-8 `data` and base64 `binaryData`. */
export const ConfigMap = z.looseObject({
  apiVersion: z.literal("v1").optional(),
  kind: z.literal("ConfigMap").optional(),
  metadata: StoredObjectMeta,
  data: z.record(z.string(), z.string()).nullish(),
  binaryData: z.record(z.string(), Base64).nullish(),
  immutable: z.boolean().optional(),
});
export type ConfigMap = z.infer<typeof ConfigMap>;
