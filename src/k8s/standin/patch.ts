/**
 * PATCH bodies for the K8s stand-in (staging and tests only): JSON Patch (RFC 6902), JSON Merge
 * Patch (RFC 7386) and strategic merge patch, chosen by Content-Type as the API server does.
 * Errors carry the API server's status codes: 400 for a malformed patch, 422 for one that cannot apply.
 */
import { ApiError, badRequest, unsupportedMediaType } from "./api-errors";
import type { JsonObject } from "./k8s-object";
import { cloneObject, isJsonObject, jsonEqual } from "./k8s-object";
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

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw unprocessable(`JSON pointer "${pointer}" must start with "/"`);
  return pointer
    .slice(1)
    .split("/")
    .map((token) => token.replace(/~1/g, "/").replace(/~0/g, "~"));
}

type Container = JsonObject | unknown[];

/** Walks to the parent of the pointer's last token. */
function parentOf(doc: unknown, tokens: readonly string[], pointer: string): { parent: Container; last: string } {
  let cursor: unknown = doc;
  for (const token of tokens.slice(0, -1)) {
    cursor = childOf(cursor, token, pointer);
  }
  const last = tokens[tokens.length - 1];
  if (last === undefined || (!isJsonObject(cursor) && !Array.isArray(cursor))) throw unprocessable(`doc is missing path: "${pointer}"`);
  return { parent: cursor, last };
}

function childOf(cursor: unknown, token: string, pointer: string): unknown {
  if (Array.isArray(cursor)) {
    const index = arrayIndex(token, cursor.length - 1, pointer);
    return cursor[index];
  }
  if (isJsonObject(cursor) && Object.hasOwn(cursor, token)) return cursor[token];
  throw unprocessable(`doc is missing path: "${pointer}"`);
}

function arrayIndex(token: string, max: number, pointer: string): number {
  if (!/^(0|[1-9]\d*)$/.test(token)) throw unprocessable(`invalid array index "${token}" in "${pointer}"`);
  const index = Number(token);
  if (index > max) throw unprocessable(`array index ${index} out of bounds in "${pointer}"`);
  return index;
}

function getAt(doc: unknown, pointer: string): unknown {
  let cursor = doc;
  for (const token of parsePointer(pointer)) cursor = childOf(cursor, token, pointer);
  return cursor;
}

function addAt(doc: unknown, pointer: string, value: unknown): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const { parent, last } = parentOf(doc, tokens, pointer);
  if (Array.isArray(parent)) {
    const index = last === "-" ? parent.length : arrayIndex(last, parent.length, pointer);
    parent.splice(index, 0, value);
  } else {
    parent[last] = value;
  }
  return doc;
}

function removeAt(doc: unknown, pointer: string): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) throw unprocessable("cannot remove the whole document");
  const { parent, last } = parentOf(doc, tokens, pointer);
  if (Array.isArray(parent)) {
    parent.splice(arrayIndex(last, parent.length - 1, pointer), 1);
  } else {
    if (!Object.hasOwn(parent, last)) throw unprocessable(`Unable to remove nonexistent key: ${last}: missing value`);
    delete parent[last];
  }
  return doc;
}

/** RFC 6902. */
export function applyJsonPatch(target: unknown, operations: readonly unknown[]): unknown {
  let doc = cloneObject(target);
  for (const raw of operations) {
    if (!isJsonObject(raw) || typeof raw.op !== "string" || typeof raw.path !== "string") {
      throw badRequest(`invalid JSON patch operation: ${JSON.stringify(raw)}`);
    }
    const op = raw as unknown as Operation;
    switch (op.op) {
      case "add":
        doc = addAt(doc, op.path, cloneObject(op.value));
        break;
      case "remove":
        doc = removeAt(doc, op.path);
        break;
      case "replace":
        getAt(doc, op.path);
        doc = parsePointer(op.path).length === 0 ? cloneObject(op.value) : addAt(removeAt(doc, op.path), op.path, cloneObject(op.value));
        break;
      case "move": {
        if (op.from === undefined) throw badRequest(`JSON patch "move" needs "from"`);
        const value = getAt(doc, op.from);
        doc = addAt(removeAt(doc, op.from), op.path, value);
        break;
      }
      case "copy": {
        if (op.from === undefined) throw badRequest(`JSON patch "copy" needs "from"`);
        doc = addAt(doc, op.path, cloneObject(getAt(doc, op.from)));
        break;
      }
      case "test":
        if (!jsonEqual(getAt(doc, op.path), op.value)) throw unprocessable(`testing value ${op.path} failed: test failed`);
        break;
      default:
        throw badRequest(`Unexpected kind: ${op.op}`);
    }
  }
  return doc;
}
