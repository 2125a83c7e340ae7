// Admission webhooks called by the stand-in as kube-apiserver calls them: AdmissionReview v1 over
// HTTPS trusting caBundle, rules, namespaceSelector, objectSelector, matchConditions (CEL),
// failurePolicy, JSONPatch mutation, and controllers' pods refused with a FailedCreate event.
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, it } from "vitest";
import { createSelfSignedCert } from "../../../src/k8s/tls/x509";
import type { Fixture } from "./fixture";
import { eventually, podSpec, raw, startFixture } from "./fixture";

let f: Fixture;
let hook: Server;
let hookUrl: string;
let caBundle: string;
const reviews: any[] = [];

/** Denies pods labelled deny=yes; on /mutate, adds the label mutated=yes. */
function answer(path: string, review: any): unknown {
  reviews.push({ path, review });
  const { uid, object } = review.request;
  if (path === "/mutate") {
    const patch = [{ op: "add", path: "/metadata/labels/mutated", value: "yes" }];
    return { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid, allowed: true, patchType: "JSONPatch", patch: Buffer.from(JSON.stringify(patch)).toString("base64") } };
  }
  const denied = object?.metadata?.labels?.deny === "yes";
  return { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid, allowed: !denied, ...(denied ? { status: { code: 403, message: "pods labelled deny are refused" } } : {}) } };
}

const webhook = (name: string, path: string, extra: Record<string, unknown> = {}) => ({
  name,
  admissionReviewVersions: ["v1"],
  sideEffects: "None",
  clientConfig: { url: `${hookUrl}${path}`, caBundle },
  rules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["pods"], scope: "Namespaced" }],
  ...extra,
});
const createPod = (namespace: string, name: string, labels: Record<string, string> = {}, spec: Record<string, unknown> = {}) =>
  raw(f.standin, "POST", `/api/v1/namespaces/${namespace}/pods`, { body: { metadata: { name, labels }, spec: { ...podSpec(), ...spec } } });

beforeAll(async () => {
  const { cert, key } = await createSelfSignedCert(["127.0.0.1"]);
  caBundle = Buffer.from(cert).toString("base64");
  hook = createServer({ cert, key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.stringify(answer(req.url ?? "", JSON.parse(Buffer.concat(chunks).toString("utf8"))));
      res.writeHead(200, { "Content-Type": "application/json" }).end(body);
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", resolve));
  hookUrl = `https://127.0.0.1:${(hook.address() as AddressInfo).port}`;
  f = await startFixture();
  await raw(f.standin, "POST", "/api/v1/namespaces", { body: { metadata: { name: "skip", labels: { admission: "off" } } } });
  const validating = await raw(f.standin, "POST", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations", {
    body: { metadata: { name: "deny" }, webhooks: [webhook("deny.test.dev", "/validate", { namespaceSelector: { matchExpressions: [{ key: "admission", operator: "NotIn", values: ["off"] }] } })] },
  });
  expect201(validating.status, validating.body);
  const mutating = await raw(f.standin, "POST", "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations", {
    body: {
      metadata: { name: "mutate" },
      webhooks: [webhook("mutate.test.dev", "/mutate", { matchConditions: [{ name: "tolerates-vk", expression: "has(object.spec.tolerations) && object.spec.tolerations.exists(t, has(t.key) && t.key == 'vk')" }] })],
    },
  });
  expect201(mutating.status, mutating.body);
});
afterAll(async () => {
  await f.standin.close();
  hook.close();
});

function expect201(status: number, body: string): void {
  if (status !== 201) throw new Error(`registration failed: ${status} ${body}`);
}

describe("admission webhooks", () => {
  it("sends an AdmissionReview v1 and refuses what the webhook denies, with its message and code", async ({ expect }) => {
    const denied = await createPod("default", "bad", { deny: "yes" });
    expect(denied.status).toBe(403);
    expect(denied.json()).toMatchObject({ kind: "Status", status: "Failure", message: 'admission webhook "deny.test.dev" denied the request: pods labelled deny are refused' });
    expect((await raw(f.standin, "GET", "/api/v1/namespaces/default/pods/bad")).status).toBe(404);
    const review = reviews.find((r) => r.review.request.name === "bad")?.review;
    expect(review).toMatchObject({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      request: { kind: { group: "", version: "v1", kind: "Pod" }, resource: { group: "", version: "v1", resource: "pods" }, namespace: "default", operation: "CREATE", dryRun: false },
    });
    expect(review.request.object.spec.restartPolicy).toBe("Always");
  });

  it("lets through what the webhook allows, and skips namespaces the namespaceSelector leaves out", async ({ expect }) => {
    expect((await createPod("default", "good")).status).toBe(201);
    expect((await createPod("skip", "bad", { deny: "yes" })).status).toBe(201);
  });

  it("applies a mutating webhook's JSONPatch, to the pods its CEL matchCondition selects", async ({ expect }) => {
    const tolerating = await createPod("default", "tolerating", {}, { tolerations: [{ key: "vk", operator: "Exists" }] });
    expect(tolerating.json().metadata.labels).toEqual({ mutated: "yes" });
    expect((await createPod("default", "plain")).json().metadata.labels).toEqual({});
  });

  it("fails closed when a webhook cannot be called under failurePolicy Fail, and skips it under Ignore", async ({ expect }) => {
    const unreachable = (policy: string) => ({ ...webhook(`down-${policy.toLowerCase()}.test.dev`, "/validate"), clientConfig: { url: "https://127.0.0.1:1/validate", caBundle }, failurePolicy: policy, timeoutSeconds: 2 });
    await raw(f.standin, "POST", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations", { body: { metadata: { name: "down" }, webhooks: [unreachable("Ignore")] } });
    expect((await createPod("default", "despite-down")).status).toBe(201);
    await raw(f.standin, "PUT", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/down", { body: { metadata: { name: "down" }, webhooks: [unreachable("Fail")] } });
    const refused = await createPod("default", "while-down");
    expect(refused.status).toBe(500);
    expect(refused.json().message).toMatch(/^Internal error occurred: failed calling webhook "down-fail.test.dev": failed to call webhook: Post "https:\/\/127.0.0.1:1\/validate": /);
    await raw(f.standin, "DELETE", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/down");
  });

  it("refuses a webhook configuration that could never be called", async ({ expect }) => {
    const bad = await raw(f.standin, "POST", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations", {
      body: { metadata: { name: "plain-http" }, webhooks: [{ ...webhook("plain.test.dev", "/validate"), clientConfig: { url: "http://127.0.0.1/validate" } }] },
    });
    expect(bad.status).toBe(422);
    expect(bad.json().message).toContain("'https' is the only allowed URL scheme");
  });

  it("turns a denied pod of a ReplicaSet into a FailedCreate event, as the controller reports it", async ({ expect }) => {
    const rs = {
      metadata: { name: "denied-set" },
      spec: { replicas: 1, selector: { matchLabels: { deny: "yes" } }, template: { metadata: { labels: { deny: "yes" } }, spec: podSpec() } },
    };
    expect((await raw(f.standin, "POST", "/apis/apps/v1/namespaces/default/replicasets", { body: rs })).status).toBe(201);
    const event = await eventually(async () => {
      const events = (await raw(f.standin, "GET", "/api/v1/namespaces/default/events?fieldSelector=reason%3DFailedCreate")).json().items;
      return events.find((e: any) => e.involvedObject.name === "denied-set");
    }, 5000);
    expect(event).toMatchObject({ type: "Warning", source: { component: "replicaset-controller" } });
    expect(event.message).toMatch(/^Error creating: admission webhook "deny.test.dev" denied the request: pods labelled deny are refused$/);
  });
});
