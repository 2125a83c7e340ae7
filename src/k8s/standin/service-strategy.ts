/**
 * Write rules of Services in the K8s stand-in (staging and tests only), after
 * pkg/registry/core/service/strategy.go and the core/v1 defaulters: ClusterIPs and NodePorts
 * allocated on create and carried over by updates that leave them out.
 */
import type { FieldError } from "./api-errors";
import { invalidValue, notSupported, required } from "./api-errors";
import type { JsonObject } from "./k8s-object";
import { cloneObject, isJsonObject } from "./k8s-object";
import { keepStatus, section, type Strategy } from "./strategy";
import { immutable } from "./strategy-parts";
import { CONDITION_TIMES, normalizeTimes } from "./time-fields";

const SERVICE_TYPES = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"] as const;

function servicePorts(spec: JsonObject): JsonObject[] {
  return Array.isArray(spec.ports) ? spec.ports.filter(isJsonObject) : [];
}

export const serviceStrategy: Strategy = {
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
