/**
 * Write rules of the workload kinds of the K8s stand-in (staging and tests only), after
 * pkg/registry/apps/{deployment,replicaset,statefulset}/strategy.go, pkg/registry/batch/job and the
 * apps/v1, batch/v1 defaulters: generation bumps on spec changes, status only through /status,
 * immutable selectors, pod templates defaulted and validated as pods are.
 */
import { randomUUID } from "node:crypto";
import type { FieldError } from "./api-errors";
import { invalidValue, notSupported, required } from "./api-errors";
import type { JsonObject, K8sObject } from "./k8s-object";
import { cloneObject, isJsonObject, jsonEqual } from "./k8s-object";
import { selectorMatches } from "./label-selector";
import { podStrategy } from "./pod-strategy";
import type { Strategy } from "./strategy";
import { CONDITION_TIMES, normalizeTimes } from "./time-fields";

export function specOf(obj: K8sObject): JsonObject {
  if (!isJsonObject(obj.spec)) obj.spec = {};
  return obj.spec as JsonObject;
}

export function templateOf(obj: K8sObject): JsonObject {
  const spec = specOf(obj);
  if (!isJsonObject(spec.template)) spec.template = {};
  const template = spec.template as JsonObject;
  if (!isJsonObject(template.metadata)) template.metadata = {};
  if (!isJsonObject(template.spec)) template.spec = {};
  return template;
}

function defaultTemplate(obj: K8sObject): void {
  const template = templateOf(obj);
  podStrategy.normalize({ metadata: template.metadata as K8sObject["metadata"], spec: template.spec });
}

function templateErrors(obj: K8sObject, restartPolicies: readonly string[]): FieldError[] {
  const template = templateOf(obj);
  const podErrors = podStrategy.validate({ metadata: template.metadata as K8sObject["metadata"], spec: cloneObject(template.spec) });
  const errors = podErrors.map((e) => ({ ...e, field: `spec.template.${e.field}` }));
  const restartPolicy = (template.spec as JsonObject).restartPolicy;
  if (!restartPolicies.includes(String(restartPolicy))) errors.push(notSupported("spec.template.spec.restartPolicy", restartPolicy, restartPolicies));
  return errors;
}

function selectorErrors(obj: K8sObject): FieldError[] {
  const spec = specOf(obj);
  if (!isJsonObject(spec.selector)) return [required("spec.selector")];
  const labels = (templateOf(obj).metadata as JsonObject).labels as Record<string, string> | undefined;
  const empty = Object.keys(spec.selector).every((k) => {
    const v = (spec.selector as JsonObject)[k];
    return v === undefined || (Array.isArray(v) ? v.length === 0 : isJsonObject(v) && Object.keys(v).length === 0);
  });
  if (empty) return [invalidValue("spec.selector", spec.selector, "empty selector is invalid for deployment")];
  return selectorMatches(spec.selector, labels) ? [] : [invalidValue("spec.template.metadata.labels", labels ?? {}, "`selector` does not match template `labels`")];
}

function nonNegative(spec: JsonObject, ...fields: string[]): FieldError[] {
  return fields
    .filter((f) => spec[f] !== undefined && (typeof spec[f] !== "number" || !Number.isInteger(spec[f]) || (spec[f] as number) < 0))
    .map((f) => invalidValue(`spec.${f}`, spec[f], "must be greater than or equal to 0"));
}

/** Spec/status kinds: generation 1 on create and +1 on every spec change; status only through /status. */
function workloadStrategy(rules: {
  defaults(obj: K8sObject): void;
  validate(obj: K8sObject): FieldError[];
  immutable?: readonly string[];
  onCreate?(obj: K8sObject): void;
}): Strategy {
  return {
    nameRule: "dns1123Subdomain",
    normalize(obj) {
      rules.defaults(obj);
      normalizeTimes(obj, [...CONDITION_TIMES, ["status", "conditions", "*", "lastUpdateTime"], ["status", "startTime"], ["status", "completionTime"]]);
    },
    prepareForCreate(obj) {
      obj.metadata.generation = 1;
      obj.status = {};
      rules.onCreate?.(obj);
    },
    prepareForUpdate(obj, old) {
      obj.status = cloneObject(old.status);
      const generation = typeof old.metadata.generation === "number" ? old.metadata.generation : 1;
      obj.metadata.generation = jsonEqual(obj.spec, old.spec) ? generation : generation + 1;
    },
    validate: rules.validate,
    validateUpdate(obj, old) {
      const spec = specOf(obj);
      const oldSpec = isJsonObject(old.spec) ? old.spec : {};
      return ["selector", ...(rules.immutable ?? [])]
        .filter((f) => !jsonEqual(spec[f], oldSpec[f]))
        .map((f) => invalidValue(`spec.${f}`, spec[f] ?? null, "field is immutable"));
    },
  };
}

const ALWAYS = ["Always"] as const;

export const deploymentStrategy = workloadStrategy({
  defaults(d) {
    const spec = specOf(d);
    spec.replicas ??= 1;
    spec.revisionHistoryLimit ??= 10;
    spec.progressDeadlineSeconds ??= 600;
    if (!isJsonObject(spec.strategy)) spec.strategy = {};
    const strategy = spec.strategy as JsonObject;
    strategy.type ??= "RollingUpdate";
    if (strategy.type === "RollingUpdate") {
      const rolling = isJsonObject(strategy.rollingUpdate) ? strategy.rollingUpdate : {};
      rolling.maxUnavailable ??= "25%";
      rolling.maxSurge ??= "25%";
      strategy.rollingUpdate = rolling;
    }
    defaultTemplate(d);
  },
  validate(d) {
    const spec = specOf(d);
    const strategy = isJsonObject(spec.strategy) ? spec.strategy : {};
    const errors = [...selectorErrors(d), ...templateErrors(d, ALWAYS), ...nonNegative(spec, "replicas", "minReadySeconds", "revisionHistoryLimit")];
    if (!["RollingUpdate", "Recreate"].includes(String(strategy.type))) errors.push(notSupported("spec.strategy.type", strategy.type, ["Recreate", "RollingUpdate"]));
    if (strategy.type === "Recreate" && strategy.rollingUpdate !== undefined) {
      errors.push({ reason: "FieldValueForbidden", field: "spec.strategy.rollingUpdate", message: "Forbidden: may not be specified when strategy `type` is 'Recreate'" });
    }
    return errors;
  },
});

export const replicaSetStrategy = workloadStrategy({
  defaults(rs) {
    specOf(rs).replicas ??= 1;
    defaultTemplate(rs);
  },
  validate: (rs) => [...selectorErrors(rs), ...templateErrors(rs, ALWAYS), ...nonNegative(specOf(rs), "replicas", "minReadySeconds")],
});

export const statefulSetStrategy = workloadStrategy({
  defaults(sts) {
    const spec = specOf(sts);
    spec.replicas ??= 1;
    spec.podManagementPolicy ??= "OrderedReady";
    spec.revisionHistoryLimit ??= 10;
    if (!isJsonObject(spec.updateStrategy)) spec.updateStrategy = { type: "RollingUpdate", rollingUpdate: { partition: 0 } };
    spec.persistentVolumeClaimRetentionPolicy ??= { whenDeleted: "Retain", whenScaled: "Retain" };
    for (const claim of Array.isArray(spec.volumeClaimTemplates) ? spec.volumeClaimTemplates.filter(isJsonObject) : []) {
      claim.apiVersion ??= "v1";
      claim.kind ??= "PersistentVolumeClaim";
      const claimSpec = isJsonObject(claim.spec) ? claim.spec : {};
      claimSpec.volumeMode ??= "Filesystem";
      claim.spec = claimSpec;
    }
    defaultTemplate(sts);
  },
  validate(sts) {
    const spec = specOf(sts);
    const errors = [...selectorErrors(sts), ...templateErrors(sts, ALWAYS), ...nonNegative(spec, "replicas", "minReadySeconds")];
    if (!["OrderedReady", "Parallel"].includes(String(spec.podManagementPolicy))) {
      errors.push(notSupported("spec.podManagementPolicy", spec.podManagementPolicy, ["OrderedReady", "Parallel"]));
    }
    return errors;
  },
  immutable: ["podManagementPolicy", "serviceName", "volumeClaimTemplates"],
});

/** The label Job pods and their default selector carry: the Job's UID (generateSelector). */
export const JOB_UID_LABEL = "batch.kubernetes.io/controller-uid";
export const JOB_NAME_LABEL = "batch.kubernetes.io/job-name";

export const jobStrategy = workloadStrategy({
  defaults(job) {
    const spec = specOf(job);
    if (spec.completions === undefined && spec.parallelism === undefined) {
      spec.completions = 1;
      spec.parallelism = 1;
    }
    spec.parallelism ??= 1;
    spec.backoffLimit ??= spec.backoffLimitPerIndex === undefined ? 6 : 2147483647;
    spec.completionMode ??= "NonIndexed";
    spec.suspend ??= false;
    spec.podReplacementPolicy ??= "TerminatingOrFailed";
    defaultTemplate(job);
  },
  // generateSelector: the selector and template labels name this Job's UID, which is fixed here.
  onCreate(job) {
    const spec = specOf(job);
    if (spec.manualSelector === true) return;
    job.metadata.uid ??= randomUUID();
    const uid = job.metadata.uid;
    const name = job.metadata.name ?? "";
    const labels = { [JOB_UID_LABEL]: uid, [JOB_NAME_LABEL]: name, "controller-uid": uid, "job-name": name };
    const metadata = templateOf(job).metadata as JsonObject;
    metadata.labels = { ...(isJsonObject(metadata.labels) ? metadata.labels : {}), ...labels };
    spec.selector = { matchLabels: { [JOB_UID_LABEL]: uid } };
  },
  validate(job) {
    const spec = specOf(job);
    const errors = [...templateErrors(job, ["OnFailure", "Never"]), ...nonNegative(spec, "parallelism", "completions", "backoffLimit", "activeDeadlineSeconds")];
    if (spec.selector !== undefined) errors.push(...selectorErrors(job));
    if (!["NonIndexed", "Indexed"].includes(String(spec.completionMode))) errors.push(notSupported("spec.completionMode", spec.completionMode, ["NonIndexed", "Indexed"]));
    if (spec.completionMode === "Indexed" && spec.completions === undefined) errors.push(required("spec.completions"));
    return errors;
  },
  immutable: ["template", "completions", "completionMode"],
});

/** Kinds with no spec/status split and no defaults of note (Endpoints, EndpointSlices). */
export const plainStrategy: Strategy = {
  nameRule: "dns1123Subdomain",
  normalize: () => undefined,
  prepareForCreate: () => undefined,
  prepareForUpdate: () => undefined,
  validate: () => [],
  validateUpdate: () => [],
};
