import { describe, expect, it } from "vitest";
import type { AdmissionReview } from "../../../src/shared/contract";
import { answerAdmission } from "../../../src/worker/admission/admission-review";
import { reviewService } from "../../../src/worker/admission/review-service";
import { loadManifests } from "../../fixtures/manifests/load";

const services = ["guestbook.yaml", "statefulset-web.yaml", "objects.yaml"].flatMap((f) => loadManifests(f)).filter((o) => (o as { kind?: string }).kind === "Service");
const svc = (spec: Record<string, unknown>) => ({ metadata: { name: "s" }, spec: { selector: { app: "x" }, ports: [{ port: 80 }], ...spec } });

describe("Service admission", () => {
  it("allows the real-world Services", () => {
    for (const s of services) expect(reviewService(s)).toEqual({ allowed: true, denials: [], warnings: [] });
  });

  const cases: Array<[string, unknown, { denials?: RegExp[]; warnings?: RegExp[] }]> = [
    ["NodePort", svc({ type: "NodePort" }), { denials: [/^spec\.type: NodePort has no equivalent on Fly/] }],
    ["a UDP port on a ClusterIP Service", svc({ ports: [{ port: 53, protocol: "UDP" }] }), { denials: [/^spec\.ports\[0\]\.protocol: UDP cannot be proxied/] }],
    ["an SCTP port on a LoadBalancer", svc({ type: "LoadBalancer", ports: [{ port: 80 }, { port: 9, protocol: "SCTP" }] }), { denials: [/^spec\.ports\[1\]\.protocol: SCTP/] }],
    ["a UDP port on a headless Service (6PN carries UDP)", svc({ clusterIP: "None", ports: [{ port: 53, protocol: "UDP" }] }), {}],
    ["sessionAffinity ClientIP", svc({ sessionAffinity: "ClientIP" }), { warnings: [/^spec\.sessionAffinity: Fly Proxy balances every connection on its own/] }],
    ["LoadBalancer with Local policy and source ranges", svc({ type: "LoadBalancer", externalTrafficPolicy: "Local", loadBalancerSourceRanges: ["10.0.0.0/8"] }), { warnings: [/^spec\.externalTrafficPolicy/, /^spec\.loadBalancerSourceRanges/] }],
    ["IPv4 only", svc({ ipFamilies: ["IPv4"] }), { warnings: [/^spec\.ipFamilies: .*IPv6/] }],
    ["an ExternalName Service", { metadata: { name: "e" }, spec: { type: "ExternalName", externalName: "db.example.org" } }, {}],
    ["a mistyped port", svc({ ports: [{ port: "eighty" }] }), { denials: [/^spec\.ports\[0\]\.port: /] }],
    ["FKS annotations Fly would refuse", { ...svc({ ports: [{ name: "https", port: 443 }] }), metadata: { name: "s", annotations: { "service.fly.io/https-handlers": "tls,h3", "service.fly.io/443-tls-versions": "SSLv3", "service.fly.io/concurrency-limit-hard": "many" } } }, {
      denials: [/^service\.fly\.io\/https-handlers: h3 is not a Fly connection handler/, /^service\.fly\.io\/443-tls-versions: SSLv3/, /^service\.fly\.io\/concurrency-limit-hard: expected a positive whole number/],
    }],
    ["FKS annotations Fly takes", { ...svc({ ports: [{ name: "https", port: 443 }] }), metadata: { name: "s", annotations: { "service.fly.io/https-handlers": "tls,http", "service.fly.io/https-tls-alpn": "h2", "service.fly.io/concurrency-kind": "requests" } } }, {}],
  ];
  it.each(cases)("%s", (_, service, expected) => {
    const v = reviewService(service);
    expect(v.denials).toHaveLength(expected.denials?.length ?? 0);
    expected.denials?.forEach((re, i) => expect(v.denials[i]).toMatch(re));
    expect(v.warnings).toHaveLength(expected.warnings?.length ?? 0);
    expected.warnings?.forEach((re, i) => expect(v.warnings[i]).toMatch(re));
    expect(v.allowed).toBe(!expected.denials?.length);
  });

  it("answers an AdmissionReview for a Service", () => {
    const review = (object: unknown): AdmissionReview => ({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      request: { uid: "r1", kind: { group: "", version: "v1", kind: "Service" }, operation: "CREATE", object },
    });
    expect(answerAdmission(review(svc({ type: "NodePort" })), "c").response).toMatchObject({
      uid: "r1",
      allowed: false,
      status: { code: 403, message: expect.stringMatching(/^machinelet cannot give this Service a Fly address: spec\.type: NodePort/) },
    });
    expect(answerAdmission(review(svc({ sessionAffinity: "ClientIP" })), "c").response).toMatchObject({ allowed: true, warnings: [expect.stringMatching(/^machinelet: spec\.sessionAffinity/)] });
  });
});
