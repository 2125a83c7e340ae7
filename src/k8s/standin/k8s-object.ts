/**
 * The shape of stored objects in the K8s stand-in (staging and tests only): plain JSON as the API
 * server serves it, with the few metadata fields the stand-in itself reads typed.
 */

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  [field: string]: unknown;
}

export interface K8sObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export { isJsonObject, jsonEqual, type JsonObject } from "../../shared/json";

/** A metav1.Time: RFC 3339 to the second, the way the API server serializes it. */
export function formatTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A metav1.MicroTime: RFC 3339 with exactly six fractional digits. */
export function formatMicroTime(date: Date): string {
  return date.toISOString().replace(/Z$/, "000Z");
}

/** `namespace/name` for namespaced objects, `name` otherwise: the store's key within one resource. */
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** Deep copy; stored objects are never mutated in place, so every edit starts from a clone. */
export function cloneObject<T>(value: T): T {
  return structuredClone(value);
}

/** List items carry no kind/apiVersion on the wire, as the real API server serves them. */
export function withoutTypeMeta(obj: K8sObject): K8sObject {
  const { apiVersion: _apiVersion, kind: _kind, ...rest } = obj;
  return rest as K8sObject;
}
