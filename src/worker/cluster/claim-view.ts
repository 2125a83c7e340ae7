import type { ClaimView } from "../../shared/contract";
import type { PersistentVolumeClaim } from "../../shared/k8s";
import { claimSizeGb, claimToVolumeRequest } from "../translate/claim-to-volume";
import type { ClaimVolume } from "./state";

/**
 * A claim as Kubernetes' PV controller would show it, from its Fly Volume (`claim_volumes`):
 * Bound with the volume's size and the claim's access modes once the volume exists; until then
 * Pending, saying why as the controllers' Events do (WaitForFirstConsumer while no pod mounts it:
 * machinelet creates a volume where its first pod runs, as a WaitForFirstConsumer StorageClass
 * does; ProvisioningFailed when no Fly Volume can be what it asks). A request below the volume's
 * size is refused (Fly Volumes cannot shrink) with VolumeResizeFailed.
 */
export function claimView(claim: PersistentVolumeClaim, row: ClaimVolume | undefined, mounted: boolean): ClaimView {
  const { namespace = "default", name, uid } = claim.metadata;
  const base = { namespace, name, uid, accessModes: claim.spec.accessModes ?? [] };
  if (row?.volumeId && row.region && row.sizeGb !== null) {
    const wanted = claimSizeGb(claim);
    const event =
      wanted !== undefined && wanted < row.sizeGb
        ? { type: "Warning" as const, reason: "VolumeResizeFailed", message: `Fly Volumes cannot shrink: volume ${row.volumeId} stays at ${row.sizeGb} GB (${wanted} GB requested)` }
        : null;
    return { ...base, phase: "Bound", capacity: `${row.sizeGb}Gi`, event, volume: { id: row.volumeId, name: row.volumeName, region: row.region, sizeGb: row.sizeGb } };
  }
  const req = claimToVolumeRequest(claim, undefined);
  const event = !req.ok
    ? { type: "Warning" as const, reason: "ProvisioningFailed", message: `failed to provision volume: ${req.reason}` }
    : mounted
      ? { type: "Normal" as const, reason: "Provisioning", message: `creating Fly Volume ${req.name} for claim "${namespace}/${name}"` }
      : { type: "Normal" as const, reason: "WaitForFirstConsumer", message: "waiting for first consumer to be created before binding" };
  return { ...base, phase: "Pending", capacity: null, event, volume: null };
}
