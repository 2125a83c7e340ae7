/**
 * metav1.LabelSelector (matchLabels, matchExpressions) for the K8s stand-in's controllers (staging
 * and tests only), as metav1.LabelSelectorAsSelector reads it: an empty selector matches
 * everything, a missing one nothing.
 */
import type { JsonObject } from "./k8s-object";
import { isJsonObject } from "./k8s-object";
import type { LabelOperator, LabelRequirement } from "./selectors";
import { matchesLabels } from "./selectors";

const OPERATORS: Readonly<Record<string, LabelOperator>> = { In: "in", NotIn: "notin", Exists: "exists", DoesNotExist: "!exists" };

export function selectorRequirements(selector: JsonObject): LabelRequirement[] {
  const requirements: LabelRequirement[] = [];
  if (isJsonObject(selector.matchLabels)) {
    for (const [key, value] of Object.entries(selector.matchLabels)) requirements.push({ key, operator: "=", values: [String(value)] });
  }
  for (const expression of Array.isArray(selector.matchExpressions) ? selector.matchExpressions.filter(isJsonObject) : []) {
    const operator = OPERATORS[String(expression.operator)];
    if (!operator) continue;
    const values = Array.isArray(expression.values) ? expression.values.map(String) : [];
    requirements.push({ key: String(expression.key), operator, values });
  }
  return requirements;
}

export function selectorMatches(selector: unknown, labels: Readonly<Record<string, string>> | undefined): boolean {
  if (!isJsonObject(selector)) return false;
  return matchesLabels(selectorRequirements(selector), labels);
}

/** The selector as a string (Scale's status.selector, `kubectl get -o wide`). */
export function selectorString(selector: unknown): string {
  if (!isJsonObject(selector)) return "";
  return selectorRequirements(selector)
    .map(({ key, operator, values }) => {
      switch (operator) {
        case "=":
          return `${key}=${values[0] ?? ""}`;
        case "exists":
          return key;
        case "!exists":
          return `!${key}`;
        default:
          return `${key} ${operator} (${values.join(",")})`;
      }
    })
    .join(",");
}
