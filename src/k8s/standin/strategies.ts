/**
 * Write rules for every kind the K8s stand-in (staging and tests only) serves except Pod
 * (pod-strategy.ts), after the matching pkg/registry/<group>/<kind>/strategy.go.
 */
import type { FieldError } from "./api-errors";
import { forbiddenField, invalidValue, notSupported, required } from "./api-errors";
import type { JsonObject, K8sObject } from "./k8s-object";
import { cloneObject, isJsonObject, jsonEqual } from "./k8s-object";
import { podStrategy } from "./pod-strategy";
import { pvcStrategy } from "./pvc-strategy";
import type { ResourceType } from "./resources";
import { keepStatus, section, type Strategy } from "./strategy";
import { CONDITION_TIMES, normalizeMicroTimes, normalizeTimes } from "./time-fields";
import { webhookConfigurationStrategy } from "./admission/webhook-configuration-strategy";
import { deploymentStrategy, jobStrategy, plainStrategy, replicaSetStrategy, statefulSetStrategy } from "./workload-strategies";

const noChange = (): void => undefined;
const noErrors = (): FieldError[] => [];

function immutable(field: string, now: unknown, before: unknown): FieldError[] {
  return jsonEqual(now, before) ? [] : [invalidValue(field, now ?? null, "field is immutable")];
}

const DATA_KEY = /^[-._a-zA-Z0-9]+$/;

function dataKeyErrors(field: string, data: unknown): FieldError[] {
  if (data === undefined || data === null) return [];
  if (!isJsonObject(data)) return [invalidValue(field, data, "must be a map of strings")];
  return Object.keys(data)
    .filter((key) => !DATA_KEY.test(key))
    .map((key) => invalidValue(field, key, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"));
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const namespaceStrategy: Strategy = {
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

const nodeStrategy: Strategy = {
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

const SERVICE_TYPES = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"] as const;

function servicePorts(spec: JsonObject): JsonObject[] {
  return Array.isArray(spec.ports) ? spec.ports.filter(isJsonObject) : [];
}

const serviceStrategy: Strategy = {
  nameRule: "dns1035Label",
  normalize(svc) {
    const spec = section(svc, "spec");
    spec.type ??= "ClusterIP";
    spec.sessionAffinity ??= "None";
    if (spec.type !== "ExternalName") {
      spec.internalTrafficPolicy ??= "Cluster";
      spec.ipFamilyPolicy ??= "SingleStack";
    }
    for (const port of servicePorts(spec)) {
      port.protocol ??= "TCP";
      if (spec.clusterIP !== "None") port.targetPort ??= port.port;
    }
    normalizeTimes(svc, CONDITION_TIMES);
  },
  prepareForCreate(svc, ctx) {
    const spec = section(svc, "spec");
    if (spec.type !== "ExternalName") {
      // The cluster's family (single stack), as the API server defaults it at create.
      spec.ipFamilies ??= [ctx.serviceFamily];
      if (spec.clusterIP === undefined || spec.clusterIP === "") spec.clusterIP = ctx.allocateClusterIP();
      spec.clusterIPs ??= [spec.clusterIP];
    }
    if (spec.type === "NodePort" || spec.type === "LoadBalancer") {
      for (const port of servicePorts(spec)) port.nodePort ??= ctx.allocateNodePort();
    }
    svc.status = { loadBalancer: {} };
  },
  prepareForUpdate(svc, old) {
    keepStatus(svc, old);
    // Allocated values carry over when an update leaves them out (patchAllocatedValues).
    const spec = section(svc, "spec");
    const oldSpec = isJsonObject(old.spec) ? old.spec : {};
    if (spec.ipFamilies === undefined && oldSpec.ipFamilies !== undefined) spec.ipFamilies = cloneObject(oldSpec.ipFamilies);
    if ((spec.clusterIP === undefined || spec.clusterIP === "") && oldSpec.clusterIP !== undefined) {
      spec.clusterIP = oldSpec.clusterIP;
      spec.clusterIPs = cloneObject(oldSpec.clusterIPs);
    }
    const oldPorts = servicePorts(oldSpec);
    for (const port of servicePorts(spec)) {
      const before = oldPorts.find((p) => p.port === port.port && p.protocol === port.protocol);
      if (port.nodePort === undefined && before?.nodePort !== undefined) port.nodePort = before.nodePort;
    }
  },
  validate(svc) {
    const errors: FieldError[] = [];
    const spec = section(svc, "spec");
    if (!SERVICE_TYPES.includes(spec.type as (typeof SERVICE_TYPES)[number])) errors.push(notSupported("spec.type", spec.type, SERVICE_TYPES));
    const ports = servicePorts(spec);
    if (ports.length === 0 && spec.type !== "ExternalName" && spec.clusterIP !== "None") errors.push(required("spec.ports"));
    ports.forEach((port, i) => {
      if (typeof port.port !== "number" || !Number.isInteger(port.port) || port.port < 1 || port.port > 65535) {
        errors.push(invalidValue(`spec.ports[${i}].port`, port.port ?? null, "must be between 1 and 65535, inclusive"));
      }
      if (ports.length > 1 && (typeof port.name !== "string" || port.name === "")) errors.push(required(`spec.ports[${i}].name`));
    });
    if (spec.type === "ExternalName" && (typeof spec.externalName !== "string" || spec.externalName === "")) errors.push(required("spec.externalName"));
    return errors;
  },
  validateUpdate(svc, old) {
    const spec = section(svc, "spec");
    const oldSpec = isJsonObject(old.spec) ? old.spec : {};
    if (spec.type === "ExternalName" || oldSpec.type === "ExternalName") return [];
    return immutable("spec.clusterIPs[0]", spec.clusterIP, oldSpec.clusterIP);
  },
};

const SECRET_TYPES_NEEDING_KEYS: Readonly<Record<string, string[]>> = {
  "kubernetes.io/dockerconfigjson": [".dockerconfigjson"],
  "kubernetes.io/dockercfg": [".dockercfg"],
  "kubernetes.io/tls": ["tls.crt", "tls.key"],
  "kubernetes.io/ssh-auth": ["ssh-privatekey"],
};

const secretStrategy: Strategy = {
  nameRule: "dns1123Subdomain",
  normalize(secret) {
    secret.type ??= "Opaque";
    // stringData is write-only: merged into data (base64) and never stored.
    if (isJsonObject(secret.stringData)) {
      const data = isJsonObject(secret.data) ? secret.data : {};
      for (const [key, value] of Object.entries(secret.stringData)) data[key] = Buffer.from(String(value), "utf8").toString("base64");
      secret.data = data;
    }
    delete secret.stringData;
  },
  prepareForCreate: noChange,
  prepareForUpdate: noChange,
  validate(secret) {
    const errors = dataKeyErrors("data", secret.data);
    if (isJsonObject(secret.data)) {
      for (const [key, value] of Object.entries(secret.data)) {
        if (typeof value !== "string" || !BASE64.test(value)) errors.push(invalidValue(`data[${key}]`, value, "illegal base64 data"));
      }
    }
    const needed = SECRET_TYPES_NEEDING_KEYS[String(secret.type)] ?? [];
    for (const key of needed) if (!isJsonObject(secret.data) || secret.data[key] === undefined) errors.push(required(`data[${key}]`));
    return errors;
  },
  validateUpdate(secret, old) {
    const errors = immutable("type", secret.type, old.type);
    if (old.immutable === true) {
      errors.push(...(jsonEqual(secret.data, old.data) ? [] : [forbiddenField("data", "field is immutable when `immutable` is set")]));
      if (secret.immutable !== true) errors.push(forbiddenField("immutable", "field is immutable when `immutable` is set"));
    }
    return errors;
  },
};

const configMapStrategy: Strategy = {
  nameRule: "dns1123Subdomain",
  normalize: noChange,
  prepareForCreate: noChange,
  prepareForUpdate: noChange,
  validate(cm) {
    return [...dataKeyErrors("data", cm.data), ...dataKeyErrors("binaryData", cm.binaryData)];
  },
  validateUpdate(cm, old) {
    if (old.immutable !== true) return [];
    const errors: FieldError[] = [];
    if (!jsonEqual(cm.data, old.data) || !jsonEqual(cm.binaryData, old.binaryData)) errors.push(forbiddenField("data", "field is immutable when `immutable` is set"));
    if (cm.immutable !== true) errors.push(forbiddenField("immutable", "field is immutable when `immutable` is set"));
    return errors;
  },
};

const leaseStrategy: Strategy = {
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

const eventStrategy: Strategy = {
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

const STRATEGIES: Readonly<Record<string, Strategy>> = {
  Namespace: namespaceStrategy,
  Pod: podStrategy,
  Service: serviceStrategy,
  Secret: secretStrategy,
  ConfigMap: configMapStrategy,
  PersistentVolumeClaim: pvcStrategy,
  Node: nodeStrategy,
  Lease: leaseStrategy,
  Event: eventStrategy,
  Deployment: deploymentStrategy,
  ReplicaSet: replicaSetStrategy,
  StatefulSet: statefulSetStrategy,
  Job: jobStrategy,
  Endpoints: plainStrategy,
  EndpointSlice: plainStrategy,
  ValidatingWebhookConfiguration: webhookConfigurationStrategy,
  MutatingWebhookConfiguration: webhookConfigurationStrategy,
};

export function strategyFor(rt: ResourceType): Strategy {
  const strategy = STRATEGIES[rt.kind];
  if (!strategy) throw new Error(`the K8s stand-in has no write rules for kind ${rt.kind}`);
  return strategy;
}
