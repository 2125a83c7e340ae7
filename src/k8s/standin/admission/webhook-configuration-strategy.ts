/**
 * Write rules of Validating/MutatingWebhookConfigurations in the K8s stand-in (staging and tests
 * only), after pkg/apis/admissionregistration/v1 defaults and validation: what the dispatcher
 * (webhooks.ts) relies on is defaulted here, and a webhook that could never be called is refused.
 */
import type { FieldError } from "../api-errors";
import { invalidValue, notSupported, required } from "../api-errors";
import type { JsonObject } from "../k8s-object";
import { isJsonObject } from "../k8s-object";
import type { Strategy } from "../strategy";

const FAILURE_POLICIES = ["Fail", "Ignore"] as const;
const SIDE_EFFECTS = ["None", "NoneOnDryRun"] as const;

function webhooksOf(obj: JsonObject): JsonObject[] {
  return Array.isArray(obj.webhooks) ? obj.webhooks.filter(isJsonObject) : [];
}

export const webhookConfigurationStrategy: Strategy = {
  nameRule: "dns1123Subdomain",
  normalize(config) {
    for (const webhook of webhooksOf(config)) {
      webhook.failurePolicy ??= "Fail";
      webhook.matchPolicy ??= "Equivalent";
      webhook.namespaceSelector ??= {};
      webhook.objectSelector ??= {};
      webhook.timeoutSeconds ??= 10;
      if (config.kind === "MutatingWebhookConfiguration") webhook.reinvocationPolicy ??= "Never";
      for (const rule of Array.isArray(webhook.rules) ? webhook.rules.filter(isJsonObject) : []) rule.scope ??= "*";
    }
  },
  prepareForCreate: () => undefined,
  prepareForUpdate: () => undefined,
  validate(config) {
    const errors: FieldError[] = [];
    webhooksOf(config).forEach((webhook, i) => {
      const at = `webhooks[${i}]`;
      if (typeof webhook.name !== "string" || !webhook.name.includes(".")) errors.push(invalidValue(`${at}.name`, webhook.name ?? "", "should be a domain with at least three segments separated by dots"));
      if (!FAILURE_POLICIES.includes(webhook.failurePolicy as (typeof FAILURE_POLICIES)[number])) errors.push(notSupported(`${at}.failurePolicy`, webhook.failurePolicy, FAILURE_POLICIES));
      if (!SIDE_EFFECTS.includes(webhook.sideEffects as (typeof SIDE_EFFECTS)[number])) errors.push(notSupported(`${at}.sideEffects`, webhook.sideEffects ?? "", SIDE_EFFECTS));
      const versions = Array.isArray(webhook.admissionReviewVersions) ? webhook.admissionReviewVersions : [];
      if (!versions.includes("v1")) errors.push(required(`${at}.admissionReviewVersions`));
      const timeout = webhook.timeoutSeconds;
      if (typeof timeout !== "number" || timeout < 1 || timeout > 30) errors.push(invalidValue(`${at}.timeoutSeconds`, timeout, "the timeout value must be between 1 and 30 seconds"));
      const client = isJsonObject(webhook.clientConfig) ? webhook.clientConfig : {};
      if (typeof client.url === "string") {
        if (!client.url.startsWith("https://")) errors.push(invalidValue(`${at}.clientConfig.url`, client.url, "'https' is the only allowed URL scheme"));
      } else if (!isJsonObject(client.service)) {
        errors.push(required(`${at}.clientConfig`));
      }
    });
    return errors;
  },
  validateUpdate: () => [],
};
