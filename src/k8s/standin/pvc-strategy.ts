/** Write rules of PersistentVolumeClaims, as kube-apiserver's registry (pkg/registry/core/persistentvolumeclaim) and validation have them. */
import type { FieldError } from "./api-errors";
import { forbiddenField, notSupported, required } from "./api-errors";
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
  validateUpdate(pvc, old) {
    const strip = (spec: unknown): unknown => {
      const copy = isJsonObject(spec) ? cloneObject(spec) : {};
      delete copy.resources;
      delete copy.volumeAttributesClassName;
      return copy;
    };
    return jsonEqual(strip(pvc.spec), strip(old.spec))
      ? []
      : [forbiddenField("spec", "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims")];
  },
};
