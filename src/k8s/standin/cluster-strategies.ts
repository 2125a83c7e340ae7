/**
 * Write rules of the cluster-level and bookkeeping kinds of the K8s stand-in (staging and tests
 * only): Namespaces, Nodes, PersistentVolumeClaims, Leases and Events, after the matching
 * pkg/registry/<group>/<kind>/strategy.go.
 */
import type { FieldError } from "./api-errors";
import { forbiddenField, invalidValue, notSupported, required } from "./api-errors";
import { cloneObject, isJsonObject, jsonEqual } from "./k8s-object";
import type { Strategy } from "./strategy";
import { keepStatus, noChange, noErrors, section } from "./strategy-parts";
import { CONDITION_TIMES, normalizeMicroTimes, normalizeTimes } from "./time-fields";

export const namespaceStrategy: Strategy = {
  nameRule: "dns1123Label",
  normalize(ns) {
    ns.metadata.labels = { ...ns.metadata.labels, "kubernetes.io/metadata.name": ns.metadata.name ?? "" };
    const spec = section(ns, "spec");
    spec.finalizers ??= ["kubernetes"];
    const status = section(ns, "status");
    status.phase ??= "Active";
    normalizeTimes(ns, CONDITION_TIMES);
  },
  prepareForCreate(ns) {
    ns.status = { phase: "Active" };
  },
  prepareForUpdate(ns, old) {
    keepStatus(ns, old);
    ns.spec = cloneObject(old.spec);
  },
  validate: noErrors,
  validateUpdate: noErrors,
};

export const nodeStrategy: Strategy = {
  nameRule: "dns1123Subdomain",
  normalize(node) {
    section(node, "spec");
    normalizeTimes(node, CONDITION_TIMES);
  },
  // Nodes may set their status on create (nodeStrategy.PrepareForCreate keeps it).
  prepareForCreate: noChange,
  prepareForUpdate: keepStatus,
  validate: noErrors,
  validateUpdate: noErrors,
};

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

export const leaseStrategy: Strategy = {
  nameRule: "dns1123Subdomain",
  normalize(lease) {
    section(lease, "spec");
    normalizeMicroTimes(lease, [
      ["spec", "acquireTime"],
      ["spec", "renewTime"],
    ]);
  },
  prepareForCreate: noChange,
  prepareForUpdate: noChange,
  validate(lease) {
    const spec = section(lease, "spec");
    const errors: FieldError[] = [];
    for (const field of ["leaseDurationSeconds", "leaseTransitions"] as const) {
      const value = spec[field];
      if (value !== undefined && value !== null && (typeof value !== "number" || !Number.isInteger(value))) errors.push(invalidValue(`spec.${field}`, value, "must be an integer"));
    }
    if (typeof spec.leaseDurationSeconds === "number" && spec.leaseDurationSeconds <= 0) errors.push(invalidValue("spec.leaseDurationSeconds", spec.leaseDurationSeconds, "must be greater than 0"));
    if (typeof spec.leaseTransitions === "number" && spec.leaseTransitions < 0) errors.push(invalidValue("spec.leaseTransitions", spec.leaseTransitions, "must be greater than or equal to 0"));
    return errors;
  },
  validateUpdate: noErrors,
};

export const eventStrategy: Strategy = {
  nameRule: "dns1123Subdomain",
  normalize(event) {
    normalizeTimes(event, [["firstTimestamp"], ["lastTimestamp"], ["series", "lastObservedTime"]]);
    normalizeMicroTimes(event, [["eventTime"]]);
  },
  prepareForCreate: noChange,
  prepareForUpdate: noChange,
  validate(event) {
    const involved = isJsonObject(event.involvedObject) ? event.involvedObject : {};
    // ValidateEvent: an event about a namespaced object lives in that object's namespace.
    if (typeof involved.namespace === "string" && involved.namespace !== "" && involved.namespace !== event.metadata.namespace) {
      return [invalidValue("involvedObject.namespace", involved.namespace, "does not match event.namespace")];
    }
    return [];
  },
  validateUpdate: noErrors,
};
