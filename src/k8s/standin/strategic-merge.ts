/**
 * Strategic merge patch (application/strategic-merge-patch+json) for the K8s stand-in (staging and
 * tests only): maps merge recursively, `null` deletes a key, lists merge by the rules in
 * merge-keys.ts or are replaced whole; the directives `$patch` (merge/replace/delete),
 * `$deleteFromPrimitiveList/<field>`, `$setElementOrder/<field>` and `$retainKeys` are honoured.
 */
import type { JsonObject } from "./k8s-object";
import { cloneObject, isJsonObject } from "./k8s-object";
import { mergeRuleFor } from "../../shared/k8s/merge-keys";

export class StrategicMergeError extends Error {}

const DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList/";
const SET_ELEMENT_ORDER = "$setElementOrder/";

export function strategicMerge(kind: string, original: JsonObject, patch: JsonObject): JsonObject {
  const merged = mergeMap(kind, original, patch, []);
  if (merged === undefined) throw new StrategicMergeError("a top-level $patch: delete cannot be applied to an object");
  return merged;
}

/** Returns undefined when the patch deletes the whole map (`$patch: delete`). */
function mergeMap(kind: string, original: JsonObject, patch: JsonObject, path: readonly string[]): JsonObject | undefined {
  const directive = patch.$patch;
  if (directive === "delete") return undefined;
  if (directive === "replace") return fresh(kind, withoutKey(patch, "$patch"), path) as JsonObject;
  if (directive !== undefined && directive !== "merge") throw new StrategicMergeError(`unknown patch type: ${String(directive)} in map`);

  const result = cloneObject(original);
  for (const [key, value] of Object.entries(patch)) {
    if (!key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) continue;
    const fieldName = key.slice(DELETE_FROM_PRIMITIVE_LIST.length);
    if (!Array.isArray(value)) throw new StrategicMergeError(`${key} must be a list`);
    const current = result[fieldName];
    if (Array.isArray(current)) result[fieldName] = current.filter((item) => !value.includes(item));
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key === "$patch" || key === "$retainKeys" || key.startsWith(DELETE_FROM_PRIMITIVE_LIST) || key.startsWith(SET_ELEMENT_ORDER)) continue;
    const childPath = [...path, key];
    if (value === null) {
      delete result[key];
    } else if (isJsonObject(value)) {
      const current = result[key];
      const merged = isJsonObject(current) ? mergeMap(kind, current, value, childPath) : mergeMap(kind, {}, value, childPath);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    } else if (Array.isArray(value)) {
      const current = result[key];
      result[key] = mergeList(kind, Array.isArray(current) ? current : [], value, childPath);
    } else {
      result[key] = value;
    }
  }
  for (const [key, order] of Object.entries(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    const fieldName = key.slice(SET_ELEMENT_ORDER.length);
    const current = result[fieldName];
    if (!Array.isArray(order)) throw new StrategicMergeError(`${key} must be a list`);
    if (Array.isArray(current)) result[fieldName] = reorder(kind, current, order, [...path, fieldName]);
  }
  const retainKeys = patch.$retainKeys;
  if (retainKeys !== undefined) {
    if (!Array.isArray(retainKeys)) throw new StrategicMergeError("$retainKeys must be a list");
    for (const key of Object.keys(result)) if (!retainKeys.includes(key)) delete result[key];
  }
  return result;
}

function mergeList(kind: string, original: readonly unknown[], patch: readonly unknown[], path: readonly string[]): unknown[] {
  const isReplaceMarker = (item: unknown): boolean => isJsonObject(item) && item.$patch === "replace" && Object.keys(item).length === 1;
  if (patch.some(isReplaceMarker)) return patch.filter((item) => !isReplaceMarker(item)).map((item) => fresh(kind, item, path));

  const rule = mergeRuleFor(kind, path);
  if (!rule) return patch.map((item) => fresh(kind, item, path));
  if (rule.kind === "scalars") {
    const result = [...original];
    for (const item of patch) if (!result.includes(item)) result.push(item);
    return result;
  }
  const result = original.map((item) => cloneObject(item));
  for (const item of patch) {
    if (!isJsonObject(item)) throw new StrategicMergeError(`${path.join(".")}: list elements must be objects merged on "${rule.key}"`);
    const keyValue = item[rule.key];
    if (keyValue === undefined) throw new StrategicMergeError(`map: ${JSON.stringify(item)} does not contain declared merge key: ${rule.key}`);
    const index = result.findIndex((existing) => isJsonObject(existing) && existing[rule.key] === keyValue);
    if (item.$patch === "delete") {
      if (index !== -1) result.splice(index, 1);
      continue;
    }
    const existing = index === -1 ? undefined : result[index];
    const merged = mergeMap(kind, isJsonObject(existing) ? existing : {}, item, path);
    if (merged === undefined) continue;
    if (index === -1) result.push(merged);
    else result[index] = merged;
  }
  return result;
}

/** A patch value with its directives resolved against nothing. */
function fresh(kind: string, value: unknown, path: readonly string[]): unknown {
  if (isJsonObject(value)) return mergeMap(kind, {}, value, path) ?? {};
  if (Array.isArray(value)) return mergeList(kind, [], value, path);
  return value;
}

/** Elements named in `order` first, in that order; the rest keep their relative order after them. */
function reorder(kind: string, list: readonly unknown[], order: readonly unknown[], path: readonly string[]): unknown[] {
  const rule = mergeRuleFor(kind, path);
  const identity = (item: unknown): unknown => (rule?.kind === "objects" && isJsonObject(item) ? item[rule.key] : item);
  const orderKeys = order.map(identity);
  const ranked = list.filter((item) => orderKeys.includes(identity(item)));
  ranked.sort((a, b) => orderKeys.indexOf(identity(a)) - orderKeys.indexOf(identity(b)));
  return [...ranked, ...list.filter((item) => !orderKeys.includes(identity(item)))];
}

function withoutKey(obj: JsonObject, key: string): JsonObject {
  const { [key]: _dropped, ...rest } = obj;
  return rest;
}
