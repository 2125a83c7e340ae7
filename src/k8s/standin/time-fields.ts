/**
 * Timestamp fields as the real API server decodes them, for the K8s stand-in (staging and tests only):
 * a metav1.Time accepts any RFC 3339 value and is stored to the second in UTC
 * (`…:32.000Z` from a JavaScript Date becomes `…:32Z`); a metav1.MicroTime must have exactly six
 * fractional digits (layout RFC3339Micro) and anything else fails decoding with 400.
 */
import { badRequest } from "./api-errors";
import type { K8sObject } from "./k8s-object";
import { formatMicroTime, formatTime, isJsonObject } from "./k8s-object";
import { isMicroTime, isTime } from "./validation";

/** A path of keys; `*` walks every element of a list (or value of a map). */
export type FieldPath = readonly string[];

function visit(node: unknown, path: FieldPath, fix: (value: unknown) => unknown): void {
  const [head, ...rest] = path;
  if (head === undefined) return;
  if (head === "*") {
    const children = Array.isArray(node) ? node : isJsonObject(node) ? Object.values(node) : [];
    for (const child of children) visit(child, rest, fix);
    return;
  }
  if (!isJsonObject(node) || !Object.hasOwn(node, head)) return;
  if (rest.length === 0) node[head] = fix(node[head]);
  else visit(node[head], rest, fix);
}

function undecodable(obj: K8sObject, value: unknown, layout: string): Error {
  return badRequest(`${obj.kind} in version "${obj.apiVersion}" cannot be handled as a ${obj.kind}: parsing time ${JSON.stringify(value)} as "${layout}": cannot parse`);
}

/** Rewrites metav1.Time fields in place; throws 400 on a value that is not RFC 3339. */
export function normalizeTimes(obj: K8sObject, paths: readonly FieldPath[]): void {
  for (const path of paths) {
    visit(obj, path, (value) => {
      if (value === null) return null;
      if (!isTime(value)) throw undecodable(obj, value, "2006-01-02T15:04:05Z07:00");
      return formatTime(new Date(value));
    });
  }
}

/** Rewrites metav1.MicroTime fields in place to UTC; throws 400 unless six fractional digits are given. */
export function normalizeMicroTimes(obj: K8sObject, paths: readonly FieldPath[]): void {
  for (const path of paths) {
    visit(obj, path, (value) => {
      if (value === null) return null;
      if (!isMicroTime(value)) throw undecodable(obj, value, "2006-01-02T15:04:05.000000Z07:00");
      const micros = /\.(\d{6})/.exec(value)?.[1] ?? "000000";
      return formatMicroTime(new Date(value)).replace(/\.\d{6}Z$/, `.${micros}Z`);
    });
  }
}

/** Condition timestamps shared by status.conditions of every kind served. */
export const CONDITION_TIMES: readonly FieldPath[] = [
  ["status", "conditions", "*", "lastTransitionTime"],
  ["status", "conditions", "*", "lastProbeTime"],
  ["status", "conditions", "*", "lastHeartbeatTime"],
  ["status", "conditions", "*", "lastUpdateTime"],
];
