/**
 * Services end to end: Services made through the Kubernetes API get a Fly app each from the worker,
 * and the relay writes the Fly address back as `machinelet.fly.io/address` and a LoadBalancer's
 * public edge as `status.loadBalancer.ingress`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SERVICE_ADDRESS_ANNOTATION } from "../../../src/shared/k8s";
import { serviceAppName } from "../../../src/worker/translate/service-plan";
import { waitFor as waitUntil } from "../relay/helpers";
import { startSystem, type System } from "./system";

const waitFor = <T>(what: string, check: () => Promise<T | undefined | false>) => waitUntil(what, check, 30_000);

interface Svc {
  metadata: { name: string; uid: string; annotations?: Record<string, string> };
  spec: { clusterIP?: string; ipFamilies?: string[] };
  status?: { loadBalancer?: { ingress?: Array<{ ip?: string; hostname?: string }> } };
}

let sys: System;
const getSvc = (name: string) => sys.kube.request<Svc>("GET", `/api/v1/namespaces/default/services/${name}`);
const createSvc = (name: string, spec: Record<string, unknown>) => sys.kube.request<Svc>("POST", "/api/v1/namespaces/default/services", { body: { apiVersion: "v1", kind: "Service", metadata: { name }, spec } });
const ips = async (app: string): Promise<string[]> => {
  const res = await fetch(`${sys.emulator.url}/v1/apps/${app}/ip_assignments`, { headers: { authorization: `Bearer ${sys.flyToken}` } });
  return res.ok ? ((await res.json()) as { ips: { ip: string }[] }).ips.map((i) => i.ip) : [];
};

beforeAll(async () => {
  sys = await startSystem({ cluster: "svce2e" });
}, 120_000);
afterAll(async () => {
  await sys?.stop();
});

describe("the relay writes each Service's Fly address back", () => {
  it("annotates a ClusterIP Service, gives a LoadBalancer its ingress, leaves a headless one alone, and the app goes with the Service", async () => {
    await sys.kube.request("POST", "/api/v1/namespaces/default/pods", {
      body: { apiVersion: "v1", kind: "Pod", metadata: { name: "web", labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "nginx", ports: [{ containerPort: 8080 }] }] } },
    });
    const web = await createSvc("web", { selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080 }] });
    const edge = await createSvc("edge", { type: "LoadBalancer", selector: { app: "web" }, ports: [{ name: "https", port: 443, targetPort: 8080 }] });
    await createSvc("peers", { clusterIP: "None", selector: { app: "web" }, ports: [{ port: 8080 }] });

    const webApp = serviceAppName(sys.app, { namespace: "default", ...web.metadata });
    const address = await waitFor("web's address annotation", async () => (await getSvc("web")).metadata.annotations?.[SERVICE_ADDRESS_ANNOTATION]);
    expect(await ips(webApp)).toEqual([address]);
    // The API server's ClusterIP is left as it allocated it.
    expect((await getSvc("web")).spec.clusterIP).toBe(web.spec.clusterIP);

    const edgeApp = serviceAppName(sys.app, { namespace: "default", ...edge.metadata });
    const ingress = await waitFor("edge's LoadBalancer ingress", async () => (await getSvc("edge")).status?.loadBalancer?.ingress);
    const edgeIps = await ips(edgeApp);
    expect(edgeIps).toHaveLength(3); // Flycast, public v6, shared v4
    expect(ingress).toHaveLength(2);
    for (const entry of ingress) {
      expect(entry.hostname).toBe(`${edgeApp}.fly.dev`);
      expect(edgeIps).toContain(entry.ip);
      expect(entry.ip).not.toMatch(/^fdaa:/);
    }
    expect((await getSvc("edge")).metadata.annotations?.[SERVICE_ADDRESS_ANNOTATION]).toMatch(/^fdaa:/);
    expect((await getSvc("peers")).metadata.annotations?.[SERVICE_ADDRESS_ANNOTATION]).toBeUndefined();

    await sys.kube.request("DELETE", "/api/v1/namespaces/default/services/web");
    await waitFor("web's Fly app is deleted", async () => (await fetch(`${sys.emulator.url}/v1/apps/${webApp}`, { headers: { authorization: `Bearer ${sys.flyToken}` } })).status === 404);
  });

  it("an IPv6 single-stack cluster, as machinelet deploys K3s: Services are IPv6 and their EndpointSlices list the pods' 6PN addresses", async () => {
    await sys.kube.request("POST", "/api/v1/namespaces/default/pods", {
      body: { apiVersion: "v1", kind: "Pod", metadata: { name: "api", labels: { app: "api" } }, spec: { containers: [{ name: "api", image: "nginx", ports: [{ containerPort: 8080 }] }] } },
    });
    const api = await createSvc("api", { selector: { app: "api" }, ports: [{ port: 80, targetPort: 8080 }] });
    expect(api.spec.ipFamilies).toEqual(["IPv6"]);
    expect(api.spec.clusterIP).toMatch(/^fd43::/);
    const podIP = await waitFor("the pod's 6PN address", async () => (await sys.kube.request<{ status?: { podIP?: string } }>("GET", "/api/v1/namespaces/default/pods/api")).status?.podIP);
    expect(podIP).toMatch(/^fdaa:/);
    const slice = await waitFor("the EndpointSlice lists the pod", async () => {
      const list = await sys.kube.request<{ items: Array<{ addressType: string; endpoints?: Array<{ addresses: string[] }> }> }>("GET", "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dapi");
      return (list.items[0]?.endpoints?.length ?? 0) > 0 && list.items[0];
    });
    expect(slice.addressType).toBe("IPv6");
    expect(slice.endpoints!.flatMap((e) => e.addresses)).toEqual([podIP]);
  });
});
