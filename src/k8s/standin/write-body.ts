/**
 * The body of a create, update or patch in the K8s stand-in (staging and tests only), checked
 * against the URL as the API server's handlers do: kind, apiVersion, name and namespace.
 */
import { badRequest, type ApiError } from "./api-errors";
import type { K8sObject } from "./k8s-object";
import { cloneObject, isJsonObject } from "./k8s-object";
import type { ResourceType } from "./resources";
import { apiVersionOf } from "./resources";

/** A request body as an object of `rt` in `namespace` (a copy, with apiVersion and kind filled in). */
export function decodeBody(rt: ResourceType, namespace: string | undefined, body: unknown): K8sObject {
  if (!isJsonObject(body)) throw badRequest(`the body of the request is not a ${rt.kind} object`);
  const obj = cloneObject(body) as K8sObject;
  if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersionOf(rt)) {
    throw badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersionOf(rt)})`);
  }
  if (obj.kind !== undefined && obj.kind !== rt.kind) {
    throw badRequest(`the kind in the data (${String(obj.kind)}) does not match the expected kind (${rt.kind})`);
  }
  obj.apiVersion = apiVersionOf(rt);
  obj.kind = rt.kind;
  if (obj.metadata === undefined) obj.metadata = {};
  if (!isJsonObject(obj.metadata)) throw badRequest("metadata must be an object");
  if (rt.namespaced) {
    if (obj.metadata.namespace && obj.metadata.namespace !== namespace) throw namespaceMismatch();
    obj.metadata.namespace = namespace;
  } else {
    delete obj.metadata.namespace;
  }
  return obj;
}

export function nameMismatch(bodyName: unknown, urlName: string): ApiError {
  return badRequest(`the name of the object (${String(bodyName ?? "")}) does not match the name on the URL (${urlName})`);
}

export function namespaceMismatch(): ApiError {
  return badRequest("the namespace of the provided object does not match the namespace sent on the request");
}
