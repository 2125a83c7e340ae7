/**
 * Which registered webhooks a request goes to, for the K8s stand-in (staging and tests only), after
 * k8s.io/apiserver/pkg/admission/plugin/webhook: `rules` (operations, apiGroups, apiVersions,
 * resources with `*` and `<resource>/<subresource>` forms, scope), `namespaceSelector` (the
 * namespace's labels; a Namespace's own labels), `objectSelector` (the object's or old object's
 * labels) and `matchConditions` (CEL over object, oldObject, request and namespaceObject).
 * Webhook configurations themselves are never sent to webhooks.
 */
import { evaluate } from "@marcbachmann/cel-js";
import type { JsonObject, K8sObject } from "../k8s-object";
import { isJsonObject } from "../k8s-object";
import { selectorMatches } from "../label-selector";
import type { ResourceType } from "../resources";

export type Operation = "CREATE" | "UPDATE" | "DELETE" | "CONNECT";

export interface AdmissionAttributes {
  rt: ResourceType;
  subresource?: string;
  operation: Operation;
  namespace?: string;
  name: string;
  object?: K8sObject;
  oldObject?: K8sObject;
  dryRun: boolean;
}

const list = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

function resourceMatches(patterns: readonly string[], resource: string, subresource: string | undefined): boolean {
  const wanted = subresource ? `${resource}/${subresource}` : resource;
  return patterns.some((p) => {
    if (p === "*/*") return true;
    if (p === "*") return !subresource;
    const [res, sub] = p.split("/");
    if (sub === undefined) return p === wanted;
    return (res === "*" || res === resource) && (sub === "*" ? subresource !== undefined || res === resource : sub === subresource);
  });
}

function ruleMatches(rule: JsonObject, a: AdmissionAttributes): boolean {
  const has = (values: string[], value: string): boolean => values.includes("*") || values.includes(value);
  const scope = String(rule.scope ?? "*");
  const scopeOk = scope === "*" || (scope === "Namespaced") === a.rt.namespaced;
  return (
    has(list(rule.operations), a.operation) &&
    has(list(rule.apiGroups), a.rt.group) &&
    has(list(rule.apiVersions), a.rt.version) &&
    resourceMatches(list(rule.resources), a.rt.resource, a.subresource) &&
    scopeOk
  );
}

/** An empty selector matches everything (metav1.LabelSelectorAsSelector). */
function labelSelectorHolds(selector: unknown, labels: Record<string, string> | undefined): boolean {
  if (!isJsonObject(selector) || Object.keys(selector).length === 0) return true;
  return selectorMatches(selector, labels);
}

export interface MatchContext {
  /** The request's namespace object, when namespaced. */
  namespaceObject?: K8sObject;
}

/** undefined when the webhook does not apply; else whether a matchCondition failed to evaluate (with why). */
export function webhookApplies(webhook: JsonObject, a: AdmissionAttributes, ctx: MatchContext): { applies: boolean; error?: string } {
  if (a.rt.group === "admissionregistration.k8s.io") return { applies: false };
  const rules = Array.isArray(webhook.rules) ? webhook.rules.filter(isJsonObject) : [];
  if (!rules.some((rule) => ruleMatches(rule, a))) return { applies: false };
  if (a.rt.namespaced) {
    if (!labelSelectorHolds(webhook.namespaceSelector, ctx.namespaceObject?.metadata.labels)) return { applies: false };
  } else if (a.rt.kind === "Namespace") {
    if (!labelSelectorHolds(webhook.namespaceSelector, (a.object ?? a.oldObject)?.metadata.labels)) return { applies: false };
  }
  const objectOk = [a.object, a.oldObject].some((o) => o !== undefined && labelSelectorHolds(webhook.objectSelector, o.metadata.labels));
  if (!objectOk) return { applies: false };
  const variables = {
    object: a.object ?? null,
    oldObject: a.oldObject ?? null,
    namespaceObject: ctx.namespaceObject ?? null,
    request: { operation: a.operation, name: a.name, namespace: a.namespace ?? "", dryRun: a.dryRun, kind: { group: a.rt.group, version: a.rt.version, kind: a.rt.kind } },
  };
  for (const condition of Array.isArray(webhook.matchConditions) ? webhook.matchConditions.filter(isJsonObject) : []) {
    try {
      if (evaluate(String(condition.expression), variables) !== true) return { applies: false };
    } catch (err) {
      return { applies: true, error: `matchCondition ${String(condition.name)} failed: ${(err as Error).message}` };
    }
  }
  return { applies: true };
}
