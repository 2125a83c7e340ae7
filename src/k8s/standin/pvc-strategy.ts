/** Write rules of PersistentVolumeClaims, as kube-apiserver's registry (pkg/registry/core/persistentvolumeclaim) and validation have them. */
import { parseQuantity } from "../../shared/k8s";
import type { FieldError } from "./api-errors";
import { forbiddenField, notSupported, required } from "./api-errors";
import type { K8sObject } from "./k8s-object";
import { cloneObject, isJsonObject, jsonEqual } from "./k8s-object";
import { keepStatus, section, type Strategy } from "./strategy";
import { CONDITION_TIMES, normalizeTimes } from "./time-fields";

const ACCESS_MODES = ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"] as const;

export const pvcStrategy: Strategy = {
  nameRule: "dns1123Subdomain",
  normalize(pvc) {
    const spec = section(pvc, "spec");
    spec.volumeMode ??= "Filesystem";
    normalizeTimes(pvc, CONDITION_TIMES);
  },
  prepareForCreate(pvc) {
    pvc.status = { phase: "Pending" };
  },
  prepareForUpdate: keepStatus,
  validate(pvc) {
    const errors: FieldError[] = [];
    const spec = section(pvc, "spec");
    const modes = Array.isArray(spec.accessModes) ? spec.accessModes : [];
    if (modes.length === 0) errors.push(required("spec.accessModes"));
    for (const mode of modes) if (!ACCESS_MODES.includes(mode as (typeof ACCESS_MODES)[number])) errors.push(notSupported("spec.accessModes", mode, ACCESS_MODES));
    const resources = isJsonObject(spec.resources) ? spec.resources : {};
    const requests = isJsonObject(resources.requests) ? resources.requests : {};
    if (requests.storage === undefined) errors.push(required("spec.resources[storage]"));
    return errors;
  },
  // ValidatePersistentVolumeClaimUpdate (1.32, RecoverVolumeExpansionFailure on): only a Bound
  // claim's storage request and attributes class may change, and the request never below what
  // status.capacity says the volume already has.
  validateUpdate(pvc, old) {
    const bound = isJsonObject(old.status) && old.status.phase === "Bound";
    // The PV controller names the claim's volume once: volumeName may go from empty to set.
    const namedOnce = !(isJsonObject(old.spec) && old.spec.volumeName);
    const strip = (spec: unknown): unknown => {
      const copy = isJsonObject(spec) ? cloneObject(spec) : {};
      if (namedOnce) delete copy.volumeName;
      if (bound) {
        delete copy.resources;
        delete copy.volumeAttributesClassName;
      }
      return copy;
    };
    if (!jsonEqual(strip(pvc.spec), strip(old.spec))) return [forbiddenField("spec", "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims")];
    const storage = (o: K8sObject, at: "spec" | "status"): number => {
      const section = o[at];
      const holder = isJsonObject(section) ? (at === "spec" ? (isJsonObject(section.resources) ? section.resources.requests : undefined) : section.capacity) : undefined;
      const q = isJsonObject(holder) ? holder.storage : undefined;
      try {
        return typeof q === "string" || typeof q === "number" ? parseQuantity(q) : NaN;
      } catch {
        return NaN; // malformed: create-time validation names it
      }
    };
    const wanted = storage(pvc, "spec");
    if (wanted < storage(old, "spec") && wanted <= storage(old, "status")) {
      return [forbiddenField("spec.resources.requests.storage", "field can not be less than status.capacity")];
    }
    return [];
  },
};

