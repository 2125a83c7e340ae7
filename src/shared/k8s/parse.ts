import type { z } from "zod";
import { ConfigMap } from "./config-map";
import { PersistentVolumeClaim } from "./persistent-volume-claim";
import { Pod } from "./pod";
import { Secret } from "./secret";
import { Service } from "./service";

const SCHEMAS = { Pod, Service, Secret, ConfigMap, PersistentVolumeClaim } as const;

/** The kinds machinelet receives from the relay. */
export type K8sKind = keyof typeof SCHEMAS;
export type K8sObject<K extends K8sKind> = z.infer<(typeof SCHEMAS)[K]>;
export type ParseResult<T> = { ok: true; object: T } | { ok: false; message: string };

const MAX_ISSUES = 3;

/**
 * Validates a raw API object of the given kind. Unknown fields pass through; a missing
 * required field or a wrong type fails with a message naming the field path, e.g.
 * `spec.containers[0].image: expected string, got number`.
 */
export function parseK8sObject<K extends K8sKind>(kind: K, raw: unknown): ParseResult<K8sObject<K>> {
  const result = SCHEMAS[kind].safeParse(raw, { reportInput: true });
  if (result.success) return { ok: true, object: result.data as K8sObject<K> };
  const issues = result.error.issues;
  const shown = issues.slice(0, MAX_ISSUES).map(describeIssue);
  if (issues.length > MAX_ISSUES) shown.push(`and ${issues.length - MAX_ISSUES} more`);
  return { ok: false, message: `invalid ${kind}: ${shown.join("; ")}` };
}

/** `["spec","containers",0,"image"]` -> `spec.containers[0].image`; odd keys are quoted: `labels["app.kubernetes.io/name"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (typeof seg === "string" && /^[A-Za-z_$][\w$]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out || "(object)";
}

function describeIssue(issue: z.core.$ZodIssue): string {
  return `${formatPath(issue.path)}: ${issueText(issue)}`;
}

function issueText(issue: z.core.$ZodIssue): string {
  const hasInput = "input" in issue && issue.input !== undefined;
  switch (issue.code) {
    case "invalid_type":
      return hasInput ? `expected ${issue.expected}, got ${typeName(issue.input)}` : "required";
    case "invalid_value":
      return issue.values.length === 1
        ? `expected ${JSON.stringify(issue.values[0])}`
        : `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "too_small":
      if (issue.origin === "array" || issue.origin === "string") return issue.minimum === 1 ? "must not be empty" : `must have at least ${issue.minimum} ${issue.origin === "array" ? "items" : "characters"}`;
      return `must be ${issue.inclusive ? ">=" : ">"} ${issue.minimum}`;
    case "too_big":
      if (issue.origin === "array") return `must have at most ${issue.maximum} items`;
      if (issue.origin === "string") return `must be no more than ${issue.maximum} characters`;
      return `must be ${issue.inclusive ? "<=" : "<"} ${issue.maximum}`;
    case "invalid_key":
      return `key ${issue.issues[0] ? issueText(issue.issues[0]) : "is not valid"}`;
    case "invalid_union":
      return hasInput ? `${issue.message}, got ${typeName(issue.input)}` : "required";
    default:
      return issue.message;
  }
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number" && !Number.isInteger(v)) return "non-integer number";
  return typeof v;
}
