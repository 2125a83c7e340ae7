/**
 * The strategic merge patch that turns `original` into `modified`, as apimachinery's
 * `strategicpatch.CreateTwoWayMergePatch` builds it (the kubelet writes pod status this way): a
 * key that is gone becomes `null`; a list with a merge key (src/shared/k8s/merge-keys.ts) carries
 * the changed elements (merge key plus changed fields), `{key, $patch: delete}` for removed ones and
 * `$setElementOrder/<list>`; any other list that changed is sent whole. `null` values count as absent.
 */
import { isJsonObject, jsonEqual, type JsonObject } from "../shared/json";
import { mergeRuleFor } from "../shared/k8s/merge-keys";

const SET_ELEMENT_ORDER = "$setElementOrder/";

export function createTwoWayMergePatch(kind: string, original: JsonObject, modified: JsonObject): JsonObject {
  return diffMaps(kind, original, modified, []);
}

function diffMaps(kind: string, original: JsonObject, modified: JsonObject, path: readonly string[]): JsonObject {
  const patch: JsonObject = {};
  for (const [key, before] of Object.entries(original)) {
    if (before !== null && (modified[key] === undefined || modified[key] === null)) patch[key] = null;
  }
  for (const [key, after] of Object.entries(modified)) {
    if (after === null || after === undefined) continue;
    const before = original[key];
    const childPath = [...path, key];
    if (isJsonObject(before) && isJsonObject(after)) {
      const sub = diffMaps(kind, before, after, childPath);
      if (Object.keys(sub).length > 0) patch[key] = sub;
    } else if (Array.isArray(before) && Array.isArray(after)) {
      Object.assign(patch, diffLists(kind, key, before, after, childPath));
    } else if (!same(before, after)) {
      patch[key] = withoutNulls(after);
    }
  }
  return patch;
}

/** The patch entries for one list field: `{[key]: elements, [$setElementOrder/key]: order}`, or nothing when equal. */
function diffLists(kind: string, key: string, before: readonly unknown[], after: readonly unknown[], path: readonly string[]): JsonObject {
  const rule = mergeRuleFor(kind, path);
  if (rule?.kind !== "objects" || ![...before, ...after].every(isJsonObject)) return same(before, after) ? {} : { [key]: withoutNulls(after) };
  const mergeKey = rule.key;
  const identity = (item: unknown) => (item as JsonObject)[mergeKey];
  const elements: unknown[] = [];
  for (const item of after as JsonObject[]) {
    const old = (before as JsonObject[]).find((b) => jsonEqual(identity(b), identity(item)));
    if (!old) {
      elements.push(withoutNulls(item));
      continue;
    }
    const sub = diffMaps(kind, old, item, path);
    if (Object.keys(sub).length > 0) elements.push({ [mergeKey]: identity(item), ...sub });
  }
  for (const old of before as JsonObject[]) {
    if (!(after as JsonObject[]).some((a) => jsonEqual(identity(a), identity(old)))) elements.push({ [mergeKey]: identity(old), $patch: "delete" });
  }
  // As apimachinery does: the order directive whenever the lists differ, in content or only in order.
  if (same(before, after)) return {};
  return { ...(elements.length ? { [key]: elements } : {}), [SET_ELEMENT_ORDER + key]: (after as JsonObject[]).map((item) => ({ [mergeKey]: identity(item) })) };
}

const same = (a: unknown, b: unknown): boolean => jsonEqual(withoutNulls(a), withoutNulls(b));

function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (!isJsonObject(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, withoutNulls(v)]));
}
