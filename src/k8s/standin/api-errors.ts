/**
 * Errors of the K8s stand-in (staging and tests only), serialized as `kind: Status` objects with the
 * reasons, codes and message wording of the real API server (k8s.io/apimachinery/pkg/api/errors).
 */
import type { ResourceType } from "./resources";
import { qualifiedResource } from "./resources";

export interface FieldError {
  /** Status cause reason, e.g. FieldValueRequired, FieldValueInvalid, FieldValueForbidden. */
  reason: "FieldValueRequired" | "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueNotSupported" | "FieldValueDuplicate";
  field: string;
  /** The full message, e.g. `Invalid value: "x": must be ...`. */
  message: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: Array<{ reason: string; message: string; field?: string }>;
  retryAfterSeconds?: number;
}

export interface StatusObject {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Failure" | "Success";
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
  }

  toStatus(): StatusObject {
    return {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

function resourceDetails(rt: ResourceType, name: string): StatusDetails {
  return { name, ...(rt.group ? { group: rt.group } : {}), kind: rt.resource };
}

export function notFound(rt: ResourceType, name: string): ApiError {
  return new ApiError(404, "NotFound", `${qualifiedResource(rt)} "${name}" not found`, resourceDetails(rt, name));
}

export function alreadyExists(rt: ResourceType, name: string): ApiError {
  return new ApiError(409, "AlreadyExists", `${qualifiedResource(rt)} "${name}" already exists`, resourceDetails(rt, name));
}

export function conflict(rt: ResourceType, name: string, why: string): ApiError {
  return new ApiError(409, "Conflict", `Operation cannot be fulfilled on ${qualifiedResource(rt)} "${name}": ${why}`, resourceDetails(rt, name));
}

/** rest.BeforeDelete names the kind, not the resource, in its precondition conflicts. */
export function deletePreconditionFailed(rt: ResourceType, name: string, why: string): ApiError {
  const groupKind = rt.group ? `${rt.kind}.${rt.group}` : rt.kind;
  return new ApiError(409, "Conflict", `Operation cannot be fulfilled on ${groupKind} "${name}": ${why}`, { name, group: rt.group, kind: rt.kind });
}

export const OPTIMISTIC_LOCK_MESSAGE = "the object has been modified; please apply your changes to the latest version and try again";

export function invalid(rt: ResourceType, name: string, errors: FieldError[]): ApiError {
  const summary = errors.map((e) => `${e.field}: ${e.message}`);
  const message = `${rt.kind} "${name}" is invalid: ${summary.length === 1 ? summary[0] : `[${summary.join(", ")}]`}`;
  return new ApiError(422, "Invalid", message, {
    name,
    ...(rt.group ? { group: rt.group } : {}),
    kind: rt.kind,
    causes: errors.map((e) => ({ reason: e.reason, message: e.message, field: e.field })),
  });
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, "BadRequest", message);
}

export function forbidden(rt: ResourceType, name: string, why: string): ApiError {
  return new ApiError(403, "Forbidden", `${qualifiedResource(rt)} "${name}" is forbidden: ${why}`, resourceDetails(rt, name));
}

export function expired(message: string): ApiError {
  return new ApiError(410, "Expired", message);
}

export function unauthorized(): ApiError {
  return new ApiError(401, "Unauthorized", "Unauthorized");
}

export function routeNotFound(): ApiError {
  return new ApiError(404, "NotFound", "the server could not find the requested resource", {});
}

export function methodNotAllowed(method: string): ApiError {
  return new ApiError(405, "MethodNotAllowed", `the server does not allow this method on the requested resource (${method})`, {});
}

export function unsupportedMediaType(contentType: string): ApiError {
  return new ApiError(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got "${contentType}")`);
}

export function notAcceptable(accept: string): ApiError {
  return new ApiError(406, "NotAcceptable", `only the following media types are accepted: application/json (got "${accept}")`);
}

export function required(field: string): FieldError {
  return { reason: "FieldValueRequired", field, message: "Required value" };
}

export function invalidValue(field: string, value: unknown, why: string): FieldError {
  return { reason: "FieldValueInvalid", field, message: `Invalid value: ${JSON.stringify(value)}: ${why}` };
}

export function forbiddenField(field: string, why: string): FieldError {
  return { reason: "FieldValueForbidden", field, message: `Forbidden: ${why}` };
}

export function notSupported(field: string, value: unknown, supported: readonly string[]): FieldError {
  return {
    reason: "FieldValueNotSupported",
    field,
    message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((s) => `"${s}"`).join(", ")}`,
  };
}

export function duplicate(field: string, value: unknown): FieldError {
  return { reason: "FieldValueDuplicate", field, message: `Duplicate value: ${JSON.stringify(value)}` };
}
