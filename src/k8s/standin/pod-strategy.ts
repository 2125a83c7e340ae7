/**
 * Pod write rules of the K8s stand-in (staging and tests only), after pkg/registry/core/pod/strategy.go
 * and the core/v1 defaulters: defaults, status reset on create, spec immutability, graceful deletion.
 * Not done (a real cluster's admission would): ServiceAccount token volumes, LimitRanges, quotas.
 */
import { defaultProbes } from "./probe-defaults";
import type { FieldError } from "./api-errors";
import { duplicate, forbiddenField, notSupported, required } from "./api-errors";
import type { JsonObject, K8sObject } from "./k8s-object";
import { cloneObject, isJsonObject, jsonEqual } from "./k8s-object";
import type { Strategy } from "./strategy";
import { CONDITION_TIMES, normalizeTimes } from "./time-fields";
import type { FieldPath } from "./time-fields";
import { nameErrors } from "./validation";

const DEFAULT_GRACE_SECONDS = 30;
const CONTAINER_LISTS = ["containers", "initContainers", "ephemeralContainers"] as const;
const STATUS_LISTS = ["containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"] as const;
const RESTART_POLICIES = ["Always", "OnFailure", "Never"] as const;

const TIME_FIELDS: readonly FieldPath[] = [
  ...CONDITION_TIMES,
  ["status", "startTime"],
  ...STATUS_LISTS.flatMap((list) =>
    (["state", "lastState"] as const).flatMap((state) => [
      ["status", list, "*", state, "running", "startedAt"],
      ["status", list, "*", state, "terminated", "startedAt"],
      ["status", list, "*", state, "terminated", "finishedAt"],
    ]),
  ),
];

function specOf(pod: K8sObject): JsonObject {
  if (!isJsonObject(pod.spec)) pod.spec = {};
  return pod.spec as JsonObject;
}

function containersOf(spec: JsonObject, list: (typeof CONTAINER_LISTS)[number]): JsonObject[] {
  const value = spec[list];
  return Array.isArray(value) ? value.filter(isJsonObject) : [];
}

function defaultImagePullPolicy(image: unknown): string {
  if (typeof image !== "string") return "IfNotPresent";
  const lastSegment = image.split("/").pop() ?? "";
  if (image.includes("@")) return "IfNotPresent";
  const tag = lastSegment.includes(":") ? lastSegment.split(":").pop() : undefined;
  return tag === undefined || tag === "latest" ? "Always" : "IfNotPresent";
}

function defaultContainer(container: JsonObject): void {
  container.imagePullPolicy ??= defaultImagePullPolicy(container.image);
  container.terminationMessagePath ??= "/dev/termination-log";
  container.terminationMessagePolicy ??= "File";
  if (!isJsonObject(container.resources)) container.resources = {};
  const resources = container.resources as JsonObject;
  // Requests default to limits when a container names only limits.
  if (isJsonObject(resources.limits)) {
    const requests = isJsonObject(resources.requests) ? resources.requests : {};
    for (const [name, quantity] of Object.entries(resources.limits)) requests[name] ??= quantity;
    resources.requests = requests;
  }
  if (Array.isArray(container.ports)) for (const port of container.ports) if (isJsonObject(port)) port.protocol ??= "TCP";
  // SetDefaults_ObjectFieldSelector: a downward-API field reference is to v1.
  for (const env of Array.isArray(container.env) ? container.env.filter(isJsonObject) : []) {
    if (isJsonObject(env.valueFrom) && isJsonObject(env.valueFrom.fieldRef)) env.valueFrom.fieldRef.apiVersion ??= "v1";
  }
  defaultProbes(container);
}

const DEFAULT_TOLERATIONS = ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"].map((key) => ({
  key,
  operator: "Exists",
  effect: "NoExecute",
  tolerationSeconds: 300,
}));

function qosClass(spec: JsonObject): "BestEffort" | "Burstable" | "Guaranteed" {
  const containers = [...containersOf(spec, "containers"), ...containersOf(spec, "initContainers")];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const container of containers) {
    const resources = isJsonObject(container.resources) ? container.resources : {};
    const requests = isJsonObject(resources.requests) ? resources.requests : {};
    const limits = isJsonObject(resources.limits) ? resources.limits : {};
    for (const name of ["cpu", "memory"]) {
      if (requests[name] !== undefined || limits[name] !== undefined) any = true;
      if (limits[name] === undefined || (requests[name] !== undefined && requests[name] !== limits[name])) guaranteed = false;
    }
  }
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

/** Fields a pod update may change (ValidatePodUpdate): masked out before comparing specs. */
function immutablePart(spec: JsonObject): JsonObject {
  const masked = cloneObject(spec);
  for (const list of CONTAINER_LISTS) for (const container of containersOf(masked, list)) delete container.image;
  delete masked.activeDeadlineSeconds;
  delete masked.tolerations;
  delete masked.schedulingGates;
  return masked;
}

export const podStrategy: Strategy = {
  nameRule: "dns1123Subdomain",

  normalize(pod) {
    const spec = specOf(pod);
    spec.restartPolicy ??= "Always";
    spec.dnsPolicy ??= "ClusterFirst";
    spec.schedulerName ??= "default-scheduler";
    spec.terminationGracePeriodSeconds ??= DEFAULT_GRACE_SECONDS;
    spec.securityContext ??= {};
    spec.serviceAccountName ??= (spec.serviceAccount as string | undefined) ?? "default";
    spec.serviceAccount ??= spec.serviceAccountName;
    spec.enableServiceLinks ??= true;
    spec.preemptionPolicy ??= "PreemptLowerPriority";
    spec.priority ??= 0;
    for (const list of CONTAINER_LISTS) for (const container of containersOf(spec, list)) defaultContainer(container);
    normalizeTimes(pod, TIME_FIELDS);
  },

  prepareForCreate(pod) {
    const spec = specOf(pod);
    const tolerations = Array.isArray(spec.tolerations) ? spec.tolerations : [];
    for (const toleration of DEFAULT_TOLERATIONS) {
      if (!tolerations.some((t) => isJsonObject(t) && t.key === toleration.key && t.effect === "NoExecute")) tolerations.push({ ...toleration });
    }
    spec.tolerations = tolerations;
    pod.status = { phase: "Pending", qosClass: qosClass(spec) };
  },

  prepareForUpdate(pod, old) {
    pod.status = cloneObject(old.status);
  },

  validate(pod) {
    const errors: FieldError[] = [];
    const spec = specOf(pod);
    const containers = containersOf(spec, "containers");
    if (containers.length === 0) errors.push(required("spec.containers"));
    const seen = new Set<string>();
    for (const list of CONTAINER_LISTS) {
      containersOf(spec, list).forEach((container, i) => {
        const at = `spec.${list}[${i}]`;
        if (typeof container.name !== "string" || container.name === "") errors.push(required(`${at}.name`));
        else {
          errors.push(...nameErrors(`${at}.name`, container.name, "dns1123Label"));
          if (seen.has(container.name)) errors.push(duplicate(`${at}.name`, container.name));
          seen.add(container.name);
        }
        if (typeof container.image !== "string" || container.image.trim() === "") errors.push(required(`${at}.image`));
      });
    }
    if (!RESTART_POLICIES.includes(spec.restartPolicy as (typeof RESTART_POLICIES)[number])) {
      errors.push(notSupported("spec.restartPolicy", spec.restartPolicy, RESTART_POLICIES));
    }
    if (spec.nodeName !== undefined && spec.nodeName !== "" && typeof spec.nodeName === "string") {
      errors.push(...nameErrors("spec.nodeName", spec.nodeName, "dns1123Subdomain"));
    }
    return errors;
  },

  validateUpdate(pod, old) {
    if (jsonEqual(immutablePart(specOf(pod)), immutablePart(specOf(cloneObject(old))))) return [];
    return [
      forbiddenField(
        "spec",
        "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
      ),
    ];
  },

  gracePeriodForDelete(pod, requested) {
    const spec = specOf(cloneObject(pod));
    const phase = isJsonObject(pod.status) ? pod.status.phase : undefined;
    // An unscheduled pod has no kubelet to wait for; a finished one has nothing left to stop.
    if (!spec.nodeName || phase === "Succeeded" || phase === "Failed") return 0;
    const grace = requested ?? (typeof spec.terminationGracePeriodSeconds === "number" ? spec.terminationGracePeriodSeconds : DEFAULT_GRACE_SECONDS);
    return grace < 0 ? 1 : grace;
  },
};
