/**
 * ServiceAddresses writes `status.loadBalancer.ingress` only on the LoadBalancers machinelet
 * fronts: those without `spec.loadBalancerClass` (machinelet is the default implementation and has
 * no class). A Service naming a class is that controller's (MetalLB, Cilium, a cloud's): writing our
 * ingress over its own would start a write war. The Fly address annotation is machinelet's own key
 * and still written: the Service has a Fly address either way.
 */
import { describe, expect, it } from "vitest";
import type { ServiceView } from "../../../src/shared/contract";
import { SERVICE_ADDRESS_ANNOTATION } from "../../../src/shared/k8s";
import type { KubeObject } from "../../../src/relay/kube-api";
import { ServiceAddresses } from "../../../src/relay/service-addresses";
import { memoryLog } from "./helpers";
import { recordingApi, viewWorker, writeBackOnce } from "./write-back-fakes";

const UID = "9b1e2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d";
const PATH = "/api/v1/namespaces/default/services/web";
const ADDRESS = "fdaa:0:1::3";
const HOSTNAME = "fks-test-s-default-web-9b1e2c3d.fly.dev";
const PUBLIC_IPS = ["2a09:8280:1::4d", "66.241.124.7"];

const view: ServiceView = {
  namespace: "default",
  name: "web",
  type: "LoadBalancer",
  address: ADDRESS,
  names: ["web.default.svc.cluster.local"],
  ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }],
  fly: { clusterApp: "fks-test", serviceApp: "fks-test-s-default-web-9b1e2c3d", appPorts: { "80": 10000 }, hops: {}, public: { hostname: HOSTNAME, ips: PUBLIC_IPS } },
  backends: [],
};

function service(spec: Record<string, unknown>, status: Record<string, unknown> = { loadBalancer: {} }): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "web", namespace: "default", uid: UID, resourceVersion: "77", annotations: { [SERVICE_ADDRESS_ANNOTATION]: ADDRESS } },
    spec: { type: "LoadBalancer", clusterIP: "fd43::10", selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }], ...spec },
    status,
  };
}

async function writeBack(svc: KubeObject) {
  const { worker, asked } = viewWorker({ "/services/default/web": view });
  const { api, sent } = recordingApi();
  await writeBackOnce(new ServiceAddresses({ worker, api, log: memoryLog().log, backoff: { baseMs: 10, maxMs: 50 } }), svc, asked);
  return sent;
}

const ours = PUBLIC_IPS.map((ip) => ({ ip, hostname: HOSTNAME }));

describe("LoadBalancer ingress write-back", () => {
  it("leaves the ingress of a Service with another loadBalancerClass to that controller", async () => {
    const metallb = [{ ip: "192.0.2.10", ipMode: "VIP" }];
    const sent = await writeBack(service({ loadBalancerClass: "example.com/metallb" }, { loadBalancer: { ingress: metallb } }));
    expect(sent).toEqual([]);
  });

  it("still writes the Fly address of a Service with another loadBalancerClass, and nothing else", async () => {
    const svc = service({ loadBalancerClass: "example.com/metallb" });
    svc.metadata.annotations = {};
    const sent = await writeBack(svc);
    expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual([`PATCH ${PATH}`]);
    expect(sent[0]!.body).toMatchObject({ metadata: { annotations: { [SERVICE_ADDRESS_ANNOTATION]: ADDRESS } } });
  });

  it("writes the ingress of a LoadBalancer machinelet fronts (no loadBalancerClass)", async () => {
    const sent = await writeBack(service({}));
    expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual([`PATCH ${PATH}/status`]);
    expect(sent[0]!.body).toEqual({ metadata: { uid: UID }, status: { loadBalancer: { ingress: ours } } });
  });

  it("replaces ingress that differs from the worker's view", async () => {
    const sent = await writeBack(service({}, { loadBalancer: { ingress: [{ ip: "66.241.124.1", hostname: HOSTNAME, ipMode: "VIP" }] } }));
    expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual([`PATCH ${PATH}/status`]);
  });

  it("sends nothing when the ingress is already there as the API server keeps it (ipMode defaulted)", async () => {
    const stored = ours.map((i) => ({ ...i, ipMode: "VIP" }));
    const sent = await writeBack(service({}, { loadBalancer: { ingress: stored } }));
    expect(sent).toEqual([]);
  });
});
