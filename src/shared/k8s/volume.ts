import { z } from "zod";
import { ObjectFieldSelector, ResourceFieldSelector } from "./container";
import { NonNegativeQuantity } from "./quantity";
import { Dns1123Label } from "./names";

const Mode = z.int().min(0).max(0o777);

export const KeyToPath = z.looseObject({ key: z.string().min(1), path: z.string().min(1), mode: Mode.optional() });
export type KeyToPath = z.infer<typeof KeyToPath>;

export const DownwardAPIVolumeFile = z.looseObject({
  path: z.string().min(1),
  fieldRef: ObjectFieldSelector.optional(),
  resourceFieldRef: ResourceFieldSelector.optional(),
  mode: Mode.optional(),
});
export type DownwardAPIVolumeFile = z.infer<typeof DownwardAPIVolumeFile>;

const ConfigMapSource = z.looseObject({ name: z.string().optional(), items: z.array(KeyToPath).optional(), optional: z.boolean().optional() });
const SecretProjection = ConfigMapSource;
const DownwardAPIProjection = z.looseObject({ items: z.array(DownwardAPIVolumeFile).optional() });

export const VolumeProjection = z.looseObject({
  configMap: ConfigMapSource.optional(),
  secret: SecretProjection.optional(),
  downwardAPI: DownwardAPIProjection.optional(),
  serviceAccountToken: z.looseObject({ path: z.string(), audience: z.string().optional(), expirationSeconds: z.int().optional() }).optional(),
});
export type VolumeProjection = z.infer<typeof VolumeProjection>;

/**
 * `core/v1 Volume`. The sources machinelet can map are typed; every other source (hostPath, nfs,
 * csi, ...) passes through untyped so that it can be reported by name.
 */
export const Volume = z.looseObject({
  name: z.string().min(1).pipe(Dns1123Label),
  emptyDir: z.looseObject({ medium: z.string().optional(), sizeLimit: NonNegativeQuantity.optional() }).optional(),
  configMap: ConfigMapSource.extend({ defaultMode: Mode.optional() }).optional(),
  secret: z
    .looseObject({ secretName: z.string().optional(), items: z.array(KeyToPath).optional(), optional: z.boolean().optional(), defaultMode: Mode.optional() })
    .optional(),
  persistentVolumeClaim: z.looseObject({ claimName: z.string().min(1), readOnly: z.boolean().optional() }).optional(),
  downwardAPI: DownwardAPIProjection.extend({ defaultMode: Mode.optional() }).optional(),
  projected: z.looseObject({ sources: z.array(VolumeProjection).nullish(), defaultMode: Mode.optional() }).optional(),
});
export type Volume = z.infer<typeof Volume>;
