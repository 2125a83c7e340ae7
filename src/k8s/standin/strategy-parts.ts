/**
 * Small pieces the K8s stand-in's (staging and tests only) per-kind write rules share.
 */
import type { FieldError } from "./api-errors";
import { invalidValue } from "./api-errors";
import type { JsonObject, K8sObject } from "./k8s-object";
import { cloneObject, isJsonObject, jsonEqual } from "./k8s-object";

/** `obj.spec` or `obj.status`, made an empty object when it is not one. */
export function section(obj: K8sObject, key: "spec" | "status"): JsonObject {
  if (!isJsonObject(obj[key])) obj[key] = {};
  return obj[key] as JsonObject;
}

/** prepareForUpdate of kinds whose status only the /status subresource writes. */
export const keepStatus = (obj: K8sObject, old: K8sObject): void => {
  obj.status = cloneObject(old.status);
};

export const noChange = (): void => undefined;
export const noErrors = (): FieldError[] => [];

export function immutable(field: string, now: unknown, before: unknown): FieldError[] {
  return jsonEqual(now, before) ? [] : [invalidValue(field, now ?? null, "field is immutable")];
}
