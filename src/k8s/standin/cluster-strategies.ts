/**
 * Write rules of the cluster-level and bookkeeping kinds of the K8s stand-in (staging and tests
 * only): Namespaces, Nodes, Leases and Events, after the matching
 * pkg/registry/<group>/<kind>/strategy.go.
 */
import type { FieldError } from "./api-errors";
import { invalidValue } from "./api-errors";
import { cloneObject, isJsonObject } from "./k8s-object";
import { keepStatus, section, type Strategy } from "./strategy";
import { noChange, noErrors } from "./strategy-parts";
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
