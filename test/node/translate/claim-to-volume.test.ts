import { describe, expect, it } from "vitest";
import { parseK8sObject, type PersistentVolumeClaim } from "../../../src/shared/k8s";
import { claimToVolumeRequest, reclaimPolicyOf, volumeNameForClaim } from "../../../src/worker/translate/claim-to-volume";

const UID = "3f2a9c1e-7b4d-4e8f-9a0b-1c2d3e4f5a6b";
function claim(spec: Record<string, unknown>, annotations?: Record<string, string>): PersistentVolumeClaim {
  const r = parseK8sObject("PersistentVolumeClaim", { metadata: { name: "data", namespace: "db", uid: UID, resourceVersion: "1", ...(annotations ? { annotations } : {}) }, spec });
  if (!r.ok) throw new Error(r.message);
  return r.object;
}
const storage = (s: string) => ({ accessModes: ["ReadWriteOnce"], resources: { requests: { storage: s } } });

describe("claimToVolumeRequest", () => {
  it("names the volume after the claim's UID, within Fly's 30 characters", () => {
    expect(volumeNameForClaim(UID)).toBe("pvc_3f2a9c1e7b4d4e8f9a0b1c2d3e");
    expect(volumeNameForClaim(UID)).toMatch(/^[a-z0-9_]{1,30}$/);
  });

  it.each([
    ["1Gi", 1],
    ["1500Mi", 2],
    ["10G", 10],
    ["1Mi", 1],
    ["20Gi", 20],
    ["500Gi", 500],
  ])("requests.storage %s -> %i GB, encrypted, in the asked region", (s, gb) => {
    expect(claimToVolumeRequest(claim(storage(s)), "ams")).toEqual({ ok: true, name: "pvc_3f2a9c1e7b4d4e8f9a0b1c2d3e", sizeGb: gb, region: "ams", encrypted: true });
  });

  it.each([
    [{ ...storage("501Gi") }, "spec.resources.requests.storage: 501 GB is more than a Fly Volume's 500 GB"],
    [{ accessModes: ["ReadWriteMany"], resources: { requests: { storage: "1Gi" } } }, "spec.accessModes: a Fly Volume attaches to one Machine; ReadWriteMany is not available"],
    [{ ...storage("1Gi"), volumeMode: "Block" }, "spec.volumeMode: Fly Volumes are filesystems; Block is not available"],
    [{ accessModes: ["ReadWriteOnce"] }, "spec.resources.requests.storage: required to size a Fly Volume"],
  ])("refuses %j", (spec, reason) => {
    expect(claimToVolumeRequest(claim(spec), undefined)).toEqual({ ok: false, reason });
  });

  it("reclaim policy: Delete unless the annotation says Retain", () => {
    expect(reclaimPolicyOf(claim(storage("1Gi")))).toBe("Delete");
    expect(reclaimPolicyOf(claim(storage("1Gi"), { "machinelet.fly.io/reclaim-policy": "Retain" }))).toBe("Retain");
  });
});
