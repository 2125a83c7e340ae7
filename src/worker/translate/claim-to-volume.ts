import { parseQuantity, type PersistentVolumeClaim } from "../../shared/k8s";

/** Fly's largest volume (D `volumes/overview`: "Max 500 GB"). */
export const MAX_VOLUME_GB = 500;
/** PVC (or StorageClass-style) annotation: `Retain` keeps the Fly Volume when the claim is deleted. */
export const RECLAIM_ANNOTATION = "machinelet.fly.io/reclaim-policy";

export type VolumeRequest = { ok: true; name: string; sizeGb: number; region?: string; encrypted: true } | { ok: false; reason: string };

/**
 * The Fly Volume name for a claim: `pvc_` and the first 26 hex digits of its UID. Fly names are
 * 1-30 of `[a-z0-9_]` and not unique, so the UID (not the claim's name, which a new claim may
 * reuse) is what finds the volume again after a crash between "created" and "recorded".
 */
export function volumeNameForClaim(claimUid: string): string {
  return `pvc_${claimUid.replace(/[^0-9a-f]/gi, "").toLowerCase().slice(0, 26)}`;
}

/** The claim's volume size: requests.storage rounded up to whole GB (Fly's GB are 2^30 bytes, as its `bytes_total` shows), at least 1. */
export function claimSizeGb(claim: PersistentVolumeClaim): number | undefined {
  const requested = claim.spec.resources?.requests?.storage;
  if (requested === undefined) return undefined;
  return Math.max(1, Math.ceil(parseQuantity(requested) / 2 ** 30));
}

/**
 * What to create for a claim: a Volume named after its UID, sized from `requests.storage`,
 * encrypted, in `region` (the first pod's `fly.io/region`; else Fly's choice). Refused, with the
 * reason, for what a Fly Volume cannot be: a block device, shared access, more than 500 GB.
 */
export function claimToVolumeRequest(claim: PersistentVolumeClaim, region: string | undefined): VolumeRequest {
  const modes = claim.spec.accessModes ?? [];
  if (claim.spec.volumeMode === "Block") return { ok: false, reason: "spec.volumeMode: Fly Volumes are filesystems; Block is not available" };
  const shared = modes.filter((m) => m === "ReadWriteMany" || m === "ReadOnlyMany");
  if (shared.length) return { ok: false, reason: `spec.accessModes: a Fly Volume attaches to one Machine; ${shared.join(", ")} is not available` };
  const sizeGb = claimSizeGb(claim);
  if (sizeGb === undefined) return { ok: false, reason: "spec.resources.requests.storage: required to size a Fly Volume" };
  if (sizeGb > MAX_VOLUME_GB) return { ok: false, reason: `spec.resources.requests.storage: ${sizeGb} GB is more than a Fly Volume's ${MAX_VOLUME_GB} GB` };
  return { ok: true, name: volumeNameForClaim(claim.metadata.uid), sizeGb, ...(region ? { region } : {}), encrypted: true };
}

/** `Retain` when the claim's annotation says so; Kubernetes' dynamic default is `Delete`. */
export const reclaimPolicyOf = (claim: PersistentVolumeClaim): "Delete" | "Retain" =>
  claim.metadata.annotations?.[RECLAIM_ANNOTATION] === "Retain" ? "Retain" : "Delete";
