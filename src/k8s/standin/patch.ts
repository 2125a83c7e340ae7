/**
 * PATCH bodies for the K8s stand-in (staging and tests only): JSON Patch (RFC 6902), JSON Merge
 * Patch (RFC 7386) and strategic merge patch, chosen by Content-Type as the API server does.
 * Errors carry the API server's status codes: 400 for a malformed patch, 422 for one that cannot apply.
 */
import { ApiError, badRequest, unsupportedMediaType } from "./api-errors";
import type { JsonObject } from "./k8s-object";
import fastJsonPatch from "fast-json-patch";
import type { Operation } from "fast-json-patch";
import { cloneObject, isJsonObject } from "./k8s-object";
import { StrategicMergeError, strategicMerge } from "./strategic-merge";

export type PatchType = "json" | "merge" | "strategic";

const CONTENT_TYPES: Record<string, PatchType> = {
  "application/json-patch+json": "json",
  "application/merge-patch+json": "merge",
  "application/strategic-merge-patch+json": "strategic",
};

export function patchTypeOf(contentType: string | undefined): PatchType {
  const mediaType = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  const type = CONTENT_TYPES[mediaType];
  if (!type) throw unsupportedMediaType(contentType ?? "");
  return type;
}

/** Applies `patch` (already JSON-parsed) to `target`, returning a new object. */
export function applyPatch(kind: string, type: PatchType, target: JsonObject, patch: unknown): JsonObject {
  switch (type) {
    case "json": {
      if (!Array.isArray(patch)) throw badRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
      const result = applyJsonPatch(target, patch);
      if (!isJsonObject(result)) throw unprocessable("the JSON patch must leave an object");
      return result;
    }
    case "merge": {
      if (!isJsonObject(patch)) throw badRequest("a merge patch must be a JSON object");
      return mergePatch(target, patch) as JsonObject;
    }
    case "strategic": {
      if (!isJsonObject(patch)) throw badRequest("a strategic merge patch must be a JSON object");
      try {
        return strategicMerge(kind, target, patch);
      } catch (err) {
        if (err instanceof StrategicMergeError) throw unprocessable(err.message);
        throw err;
      }
    }
  }
}

function unprocessable(message: string): ApiError {
  return new ApiError(422, "Invalid", message);
}

/** RFC 7386. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return cloneObject(patch);
  const result: JsonObject = isJsonObject(target) ? cloneObject(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** fast-json-patch's error names for operations that are malformed (400) rather than inapplicable (422). */
const MALFORMED = new Set([
  "SEQUENCE_NOT_AN_ARRAY",
  "OPERATION_NOT_AN_OBJECT",
  "OPERATION_OP_INVALID",
  "OPERATION_PATH_INVALID",
  "OPERATION_FROM_REQUIRED",
  "OPERATION_VALUE_REQUIRED",
  "OPERATION_VALUE_CANNOT_CONTAIN_UNDEFINED",
]);

/** RFC 6902, by fast-json-patch (validating every operation, never touching `target`). */
export function applyJsonPatch(target: unknown, operations: readonly unknown[]): unknown {
  try {
    return fastJsonPatch.applyPatch(cloneObject(target), cloneObject(operations) as Operation[], true, false).newDocument;
  } catch (err) {
    if (!(err instanceof fastJsonPatch.JsonPatchError)) throw err;
    const message = `the JSON patch cannot be applied: ${err.message.split("\n")[0] ?? err.name}`;
    throw MALFORMED.has(err.name) ? badRequest(message) : unprocessable(message);
  }
}
