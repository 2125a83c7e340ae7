import { describe, expect, it } from "vitest";
import type { AdmissionReview } from "../../../src/shared/contract";
import { answerAdmission } from "../../../src/worker/admission/admission-review";
import { reviewPod } from "../../../src/worker/admission/review-pod";
import { loadManifests } from "../../fixtures/manifests/load";

const pods = (file: string) => loadManifests(file).filter((o) => (o as { kind?: string }).kind === "Pod") as Array<Record<string, any>>;
const clone = <T>(v: T): T => structuredClone(v);
const nginx = pods("nginx-deployment-pod.yaml")[0]!;

describe("admission on real-world manifests", () => {
  it.each(["nginx-deployment-pod.yaml", "init-and-sidecar.yaml", "job-pi.yaml", "downward-api-multi.yaml", "redis-exec-probes.yaml", "postgres-performance.yaml"])(
    "allows every pod of %s",
    (file) => {
      for (const p of pods(file)) expect(reviewPod(p, "c")).toMatchObject({ allowed: true, denials: [] });
    },
  );

  it("allows pods that reference Secrets, ConfigMaps, claims and the downward API, with no warning about them", () => {
    const workloads = loadManifests("apply/wordpress-mysql.yaml").filter((o) => (o as { kind?: string }).kind === "Deployment") as Array<Record<string, any>>;
    const templates = workloads.map((d) => ({ metadata: { name: d.metadata.name }, spec: d.spec.template.spec }));
    for (const p of [...templates, ...pods("apply/secret-dotfiles-pod.yaml"), ...pods("postgres-performance.yaml"), ...pods("downward-api-multi.yaml")]) {
      const v = reviewPod(p, "c");
      expect(v).toMatchObject({ allowed: true, denials: [] });
      expect(v.warnings.filter((w) => /Secret|ConfigMap|Volume|claim/.test(w))).toEqual([]);
    }
  });

  it("denies the node agent naming the host namespaces and the hostPath volume, and warns about the rest", () => {
    const v = reviewPod(pods("node-agent-unsupported.yaml")[0], "c");
    expect(v.allowed).toBe(false);
    expect(v.denials.join("\n")).toMatch(/^spec\.hostNetwork: /m);
    expect(v.denials.join("\n")).toMatch(/^spec\.hostPID: /m);
    expect(v.denials.join("\n")).toMatch(/^spec\.volumes\[\d\]\.hostPath: volume "/m);
    expect(v.warnings.some((w) => w.includes("hostPort"))).toBe(true);
    expect(v.warnings.some((w) => w.startsWith("spec.hostNetwork:"))).toBe(false);
  });
});

describe("admission rules", () => {
  const withSpec = (patch: Record<string, unknown>) => ({ ...clone(nginx), spec: { ...clone(nginx.spec), ...patch } });
  const container = (extra: Record<string, unknown>) => [{ ...clone(nginx.spec.containers[0]), ...extra }];
  const cases: Array<[string, unknown, RegExp | null]> = [
    ["hostIPC", withSpec({ hostIPC: true }), /^spec\.hostIPC: /],
    ["a hostPath volume", withSpec({ volumes: [{ name: "h", hostPath: { path: "/var" } }] }), /spec\.volumes\[0\]\.hostPath: volume "h"/],
    ["an nfs volume", withSpec({ volumes: [{ name: "n", nfs: { server: "s", path: "/" } }] }), /nfs volumes cannot be mapped/],
    [
      "two PersistentVolumeClaims",
      withSpec({ volumes: [{ name: "a", persistentVolumeClaim: { claimName: "one" } }, { name: "b", persistentVolumeClaim: { claimName: "two" } }] }),
      /2 PersistentVolumeClaims \(one, two\)/,
    ],
    ["more memory than the largest guest", withSpec({ containers: container({ resources: { limits: { memory: "200Gi" } } }) }), /resources/],
    ["an unknown GPU kind", withSpec({ containers: container({ resources: { limits: { "gpu.fly.io/h100": 1 } } }) }), /h100/],
    ["an emptyDir", withSpec({ volumes: [{ name: "tmp", emptyDir: {} }], containers: container({ volumeMounts: [{ name: "tmp", mountPath: "/tmp" }] }) }), null],
    [
      "one PersistentVolumeClaim",
      withSpec({ volumes: [{ name: "a", persistentVolumeClaim: { claimName: "one" } }], containers: container({ volumeMounts: [{ name: "a", mountPath: "/data" }] }) }),
      null,
    ],
    ["a pod without uid or name (CREATE with generateName)", { ...clone(nginx), metadata: { generateName: "web-", namespace: "default" } }, null],
    ["no containers", withSpec({ containers: [] }), /spec\.containers/],
  ];
  it.each(cases)("%s", (_name, pod, denial) => {
    const v = reviewPod(pod, "c");
    if (denial === null) expect(v).toMatchObject({ allowed: true, denials: [] });
    else {
      expect(v.allowed).toBe(false);
      expect(v.denials.join("\n")).toMatch(denial);
    }
  });
});

describe("AdmissionReview v1", () => {
  const review = (request: Partial<AdmissionReview["request"]>): AdmissionReview => ({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: { uid: "705ab4f5-6393-11e8-b7cc-42010a800002", kind: { group: "", version: "v1", kind: "Pod" }, operation: "CREATE", object: nginx, ...request },
  });

  it("echoes the uid and allows a runnable pod, with warnings named machinelet", () => {
    const out = answerAdmission(review({}), "c");
    expect(out).toMatchObject({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid: "705ab4f5-6393-11e8-b7cc-42010a800002", allowed: true } });
    for (const w of (out.response as { warnings?: string[] }).warnings ?? []) expect(w).toMatch(/^machinelet: /);
  });

  it("denies with status 403 and a message naming the field", () => {
    const out = answerAdmission(review({ object: { ...clone(nginx), spec: { ...clone(nginx.spec), hostNetwork: true } } }), "c");
    expect(out.response).toMatchObject({ allowed: false, status: { code: 403, message: expect.stringMatching(/spec\.hostNetwork/) } });
  });

  it.each([
    ["DELETE", { operation: "DELETE" as const, object: undefined }],
    ["a status update", { operation: "UPDATE" as const, subResource: "status" }],
    ["another kind", { kind: { group: "apps", version: "v1", kind: "Deployment" }, object: { spec: {} } }],
  ])("allows %s without looking", (_n, req) => {
    expect(answerAdmission(review(req), "c").response).toEqual({ uid: "705ab4f5-6393-11e8-b7cc-42010a800002", allowed: true });
  });
});
