import { z } from "zod";

/**
 * Answer of `GET /claims/{namespace}/{name}`: a PersistentVolumeClaim as the worker maps it
 * (README, Claims), with the status Kubernetes' PV controller would give it: `Pending` until its
 * Fly Volume exists, then `Bound` with the volume's size as capacity and the claim's access modes.
 * `event` says why it is Pending (`WaitForFirstConsumer`, `Provisioning`, `ProvisioningFailed`)
 * or why a change of it is refused (`VolumeResizeFailed`), as the controllers' Events would;
 * the relay writes the status and records the event.
 */
export const claimViewSchema = z.object({
  namespace: z.string(),
  name: z.string(),
  uid: z.string(),
  phase: z.enum(["Pending", "Bound"]),
  /** `status.capacity.storage` once Bound (`<n>Gi`: Fly sizes volumes in GB of 2^30 bytes) */
  capacity: z.string().nullable(),
  accessModes: z.array(z.string()),
  event: z.object({ type: z.enum(["Normal", "Warning"]), reason: z.string(), message: z.string() }).nullable(),
  volume: z.object({ id: z.string(), name: z.string(), region: z.string(), sizeGb: z.number().int() }).nullable(),
});
export type ClaimView = z.infer<typeof claimViewSchema>;
