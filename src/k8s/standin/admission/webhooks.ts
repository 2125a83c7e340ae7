/**
 * Dynamic admission for the K8s stand-in (staging and tests only), after kube-apiserver's
 * MutatingAdmissionWebhook and ValidatingAdmissionWebhook plugins: the webhooks registered in
 * Mutating/ValidatingWebhookConfigurations (ordered by configuration name, then as listed) that
 * apply to a request (webhook-rules.ts) are called with an AdmissionReview v1 (webhook-client.ts);
 * mutating ones first, each JSONPatch applied to the object the next one sees, then validating
 * ones on the final object. A denial becomes the API server's error: `admission webhook "<name>"
 * denied the request: <message>` with the webhook's code (at least 400). A webhook that cannot be
 * called, times out or answers badly fails the request with 500 under failurePolicy Fail and is
 * skipped under Ignore. DELETE and CONNECT requests are not sent to webhooks.
 */
import fastJsonPatch from "fast-json-patch";
import type { Operation as JsonPatchOperation } from "fast-json-patch";
import { ApiError } from "../api-errors";
import type { JsonObject, K8sObject } from "../k8s-object";
import { cloneObject, isJsonObject } from "../k8s-object";
import type { Registry } from "../registry";
import { NAMESPACES } from "../namespace-lifecycle";
import { resourceByKind } from "../resources";
import { callWebhook } from "./webhook-client";
import type { AdmissionAttributes } from "./webhook-rules";
import { webhookApplies } from "./webhook-rules";

const MUTATING = resourceByKind("MutatingWebhookConfiguration");
const VALIDATING = resourceByKind("ValidatingWebhookConfiguration");

function deniedError(name: string, status: JsonObject | undefined): ApiError {
  const code = typeof status?.code === "number" && status.code >= 400 ? status.code : 400;
  const why = typeof status?.message === "string" && status.message ? `: ${status.message}` : typeof status?.reason === "string" && status.reason ? `: ${status.reason}` : " without explanation";
  return new ApiError(code, typeof status?.reason === "string" ? status.reason : "", `admission webhook "${name}" denied the request${why}`);
}

function callFailed(name: string, why: string): ApiError {
  return new ApiError(500, "InternalError", `Internal error occurred: failed calling webhook "${name}": failed to call webhook: ${why}`);
}

export class WebhookAdmission {
  constructor(private readonly registry: Registry) {}

  private webhooks(rt: typeof MUTATING): JsonObject[] {
    return this.registry.list(rt, undefined).flatMap((config) => (Array.isArray(config.webhooks) ? config.webhooks.filter(isJsonObject) : []));
  }

  /** Whether any registered webhook could apply: without one, writes skip the admission round trip. */
  anyConfigured(): boolean {
    return this.registry.list(MUTATING, undefined).length + this.registry.list(VALIDATING, undefined).length > 0;
  }

  /** Mutating then validating admission of `object`; returns the object as mutated (or as given). */
  async admit(a: AdmissionAttributes, redefault: (object: K8sObject) => K8sObject): Promise<K8sObject | undefined> {
    if (a.operation === "DELETE" || a.operation === "CONNECT") return a.object;
    const namespaceObject = a.namespace ? this.registry.find(NAMESPACES, undefined, a.namespace) : undefined;
    let object = a.object;
    for (const webhook of this.webhooks(MUTATING)) {
      const response = await this.call(webhook, { ...a, ...(object ? { object } : {}) }, namespaceObject);
      if (!response?.patch || !object) continue;
      try {
        object = redefault(fastJsonPatch.applyPatch(cloneObject(object), response.patch as JsonPatchOperation[], true, false).newDocument);
      } catch (err) {
        if (err instanceof ApiError) throw err;
        throw callFailed(String(webhook.name), `the JSON patch does not apply: ${(err as Error).message}`);
      }
    }
    for (const webhook of this.webhooks(VALIDATING)) await this.call(webhook, { ...a, ...(object ? { object } : {}) }, namespaceObject);
    return object;
  }

  /** undefined when the webhook does not apply or failed under failurePolicy Ignore. */
  private async call(webhook: JsonObject, a: AdmissionAttributes, namespaceObject: K8sObject | undefined) {
    const name = String(webhook.name);
    const ignore = webhook.failurePolicy === "Ignore";
    const match = webhookApplies(webhook, a, namespaceObject ? { namespaceObject } : {});
    if (!match.applies) return undefined;
    if (match.error) {
      if (ignore) return undefined;
      throw callFailed(name, match.error);
    }
    let response;
    try {
      response = await callWebhook(webhook, a);
    } catch (err) {
      if (ignore) return undefined;
      throw callFailed(name, (err as Error).message);
    }
    if (!response.allowed) throw deniedError(name, response.status);
    return response;
  }
}
