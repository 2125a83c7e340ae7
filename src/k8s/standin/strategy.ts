/**
 * Per-kind write rules of the K8s stand-in (staging and tests only), after the API server's
 * RESTCreateStrategy / RESTUpdateStrategy / RESTGracefulDeleteStrategy.
 */
import type { FieldError } from "./api-errors";
import { cloneObject, isJsonObject, type JsonObject, type K8sObject } from "./k8s-object";
import type { NameRule } from "./validation";

export interface WriteContext {
  /** The IP family of the cluster's service CIDR (single stack). */
  serviceFamily: "IPv4" | "IPv6";
  /** Next free Service ClusterIP. */
  allocateClusterIP(): string;
  /** Next free Service NodePort. */
  allocateNodePort(): number;
}

export interface Strategy {
  nameRule: NameRule;
  /** Decoding-time defaults and timestamp normalization, applied to every written object; idempotent. Throws 400 on undecodable fields. */
  normalize(obj: K8sObject): void;
  /** Create-only changes, e.g. resetting pod status or allocating a ClusterIP. */
  prepareForCreate(obj: K8sObject, ctx: WriteContext): void;
  /** Main-resource updates: carries over what only a subresource may change (e.g. status). */
  prepareForUpdate(obj: K8sObject, old: K8sObject): void;
  validate(obj: K8sObject): FieldError[];
  validateUpdate(obj: K8sObject, old: K8sObject): FieldError[];
  /**
   * For kinds with graceful deletion (pods): the grace period a DELETE gets, given the requested one.
   * 0 means delete at once.
   */
  gracePeriodForDelete?(obj: K8sObject, requested: number | undefined): number;
}

/** The object's `spec` or `status`, made an object when absent. */
export function section(obj: K8sObject, key: "spec" | "status"): JsonObject {
  if (!isJsonObject(obj[key])) obj[key] = {};
  return obj[key] as JsonObject;
}

/** An update of the main resource keeps the stored status (the status subresource changes it). */
export const keepStatus = (obj: K8sObject, old: K8sObject): void => {
  obj.status = cloneObject(old.status);
};
