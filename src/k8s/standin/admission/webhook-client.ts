/**
 * Calls one admission webhook for the K8s stand-in (staging and tests only), as kube-apiserver's
 * webhook client does: POST of an admission.k8s.io/v1 AdmissionReview over HTTPS to
 * `clientConfig.url`, trusting `clientConfig.caBundle` (or the system's CAs), within
 * `timeoutSeconds`; the response must be an AdmissionReview with the request's UID.
 * `clientConfig.service` is not reachable from outside a cluster, so such a call fails (and
 * failurePolicy decides).
 */
import { randomUUID } from "node:crypto";
import { request } from "node:https";
import type { JsonObject } from "../k8s-object";
import { isJsonObject } from "../k8s-object";
import type { AdmissionAttributes } from "./webhook-rules";

export class WebhookCallError extends Error {}

export interface AdmissionResponse {
  allowed: boolean;
  status?: JsonObject;
  patch?: unknown[];
  warnings?: string[];
}

function reviewOf(a: AdmissionAttributes): JsonObject {
  const kind = { group: a.rt.group, version: a.rt.version, kind: a.rt.kind };
  const resource = { group: a.rt.group, version: a.rt.version, resource: a.rt.resource };
  const optionsKind = { CREATE: "CreateOptions", UPDATE: "UpdateOptions", DELETE: "DeleteOptions", CONNECT: "" }[a.operation];
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: randomUUID(),
      kind,
      resource,
      ...(a.subresource ? { subResource: a.subresource } : {}),
      requestKind: kind,
      requestResource: resource,
      name: a.name,
      ...(a.namespace ? { namespace: a.namespace } : {}),
      operation: a.operation,
      userInfo: { username: "kubernetes-admin", groups: ["system:masters", "system:authenticated"] },
      object: a.object ?? null,
      oldObject: a.oldObject ?? null,
      dryRun: a.dryRun,
      options: optionsKind ? { apiVersion: "meta.k8s.io/v1", kind: optionsKind } : null,
    },
  };
}

function post(url: URL, body: string, ca: string | undefined, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json", "Content-Length": Buffer.byteLength(body) }, ...(ca ? { ca } : {}), timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          if ((res.statusCode ?? 0) >= 300) reject(new WebhookCallError(`the server responded with status ${res.statusCode ?? 0}: ${text.slice(0, 200)}`));
          else resolve(text);
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new WebhookCallError(`Post "${url.href}": context deadline exceeded`)));
    req.on("error", (err) => reject(err instanceof WebhookCallError ? err : new WebhookCallError(`Post "${url.href}": ${err.message}`)));
    req.end(body);
  });
}

export async function callWebhook(webhook: JsonObject, a: AdmissionAttributes): Promise<AdmissionResponse> {
  const client = isJsonObject(webhook.clientConfig) ? webhook.clientConfig : {};
  if (typeof client.url !== "string") throw new WebhookCallError("service references are not reachable from the K8s stand-in; use clientConfig.url");
  const ca = typeof client.caBundle === "string" ? Buffer.from(client.caBundle, "base64").toString("utf8") : undefined;
  const review = reviewOf(a);
  const uid = (review.request as JsonObject).uid;
  const text = await post(new URL(client.url), JSON.stringify(review), ca, (typeof webhook.timeoutSeconds === "number" ? webhook.timeoutSeconds : 10) * 1000);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new WebhookCallError("the response is not JSON");
  }
  const response = isJsonObject(parsed) && isJsonObject(parsed.response) ? parsed.response : undefined;
  if (!response || typeof response.allowed !== "boolean") throw new WebhookCallError("the response is not an AdmissionReview with response.allowed");
  if (response.uid !== uid) throw new WebhookCallError(`expected response.uid="${String(uid)}", got "${String(response.uid)}"`);
  let patch: unknown[] | undefined;
  if (typeof response.patch === "string" && response.patch !== "") {
    if (response.patchType !== "JSONPatch") throw new WebhookCallError(`unsupported patchType ${String(response.patchType)}`);
    try {
      patch = JSON.parse(Buffer.from(response.patch, "base64").toString("utf8")) as unknown[];
    } catch {
      throw new WebhookCallError("the response's patch is not base64 JSON");
    }
  }
  return {
    allowed: response.allowed,
    ...(isJsonObject(response.status) ? { status: response.status } : {}),
    ...(patch ? { patch } : {}),
    ...(Array.isArray(response.warnings) ? { warnings: response.warnings.map(String) } : {}),
  };
}
