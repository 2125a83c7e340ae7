import { describe, expect, it } from "vitest";
import type { Pod, Service } from "../../../src/shared/k8s";
import { podToMachineServices } from "../../../src/worker/translate/service-backends";
import { forwarderMachineConfig, servicePortKey } from "../../../src/worker/translate/service-plan";

const service = (annotations: Record<string, string>): Service => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "web", namespace: "default", uid: "u1", resourceVersion: "1", annotations },
  spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: 8080 }, { name: "https", port: 443, targetPort: 8080 }] },
});
const pod = { metadata: { name: "p", namespace: "default", uid: "p1", labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "nginx", ports: [{ containerPort: 8080 }] }] } } as unknown as Pod;
const appPorts = new Map([[servicePortKey("u1", { port: 80 }), 10000], [servicePortKey("u1", { port: 443 }), 10001]]);

describe("FKS's service.fly.io annotations", () => {
  it("put handlers and TLS options on the forwarder's port, by port name or number", () => {
    const svc = service({ "service.fly.io/https-handlers": "tls, http", "service.fly.io/443-tls-alpn": "h2,http/1.1", "service.fly.io/https-tls-versions": "TLSv1.3", "service.fly.io/https-tls-default-self-signed": "true" });
    const config = forwarderMachineConfig({ cluster: "c", service: svc, clusterFlycast: "fdaa::1", appPorts })!;
    expect(config.services!.map((s) => s.ports)).toEqual([
      [{ port: 80 }],
      [{ port: 443, handlers: ["tls", "http"], tls_options: { alpn: ["h2", "http/1.1"], versions: ["TLSv1.3"], default_self_signed: true } }],
    ]);
    // The forwarder only relays: its own limit must not cap the Service at Fly's default 25 connections.
    expect(config.services![0]!.concurrency).toEqual({ type: "connections", soft_limit: 1000, hard_limit: 2000 });
  });

  it("put the concurrency limits on the pods' entries, where the load lands", () => {
    const svc = service({ "service.fly.io/concurrency-kind": "requests", "service.fly.io/concurrency-limit-soft": "50", "service.fly.io/concurrency-limit-hard": "80" });
    const { services } = podToMachineServices(pod, [svc], (s, p) => appPorts.get(servicePortKey(s.metadata.uid, p)));
    expect(services.map((s) => s.concurrency)).toEqual([{ type: "requests", soft_limit: 50, hard_limit: 80 }, { type: "requests", soft_limit: 50, hard_limit: 80 }]);
  });

  it("leave out what Fly would refuse (admission names it)", () => {
    const svc = service({ "service.fly.io/http-handlers": "h3", "service.fly.io/concurrency-limit-soft": "90", "service.fly.io/concurrency-limit-hard": "10" });
    expect(forwarderMachineConfig({ cluster: "c", service: svc, clusterFlycast: "fdaa::1", appPorts })!.services![0]!.ports).toEqual([{ port: 80 }]);
    expect(podToMachineServices(pod, [svc], (s, p) => appPorts.get(servicePortKey(s.metadata.uid, p))).services[0]!.concurrency).toBeUndefined();
  });
});
