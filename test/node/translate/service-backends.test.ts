import { describe, expect, it } from "vitest";
import type { Pod, Service, ServicePort } from "../../../src/shared/k8s";
import { podToMachineServices, type AppPortOf } from "../../../src/worker/translate/service-backends";
import { loadObject, loadObjects } from "../../fixtures/manifests/load";

const guestbookServices = loadObjects("guestbook.yaml", "Service");
const guestbookPods = loadObjects("guestbook.yaml", "Pod");
const podNamed = (prefix: string) => guestbookPods.find((p) => p.metadata.name.startsWith(prefix))!;

/** App ports as the worker would allocate them: one per Service port, from 10000 up in a fixed order. */
function allocate(services: Service[]): AppPortOf {
  const ports = new Map<string, number>();
  let next = 10000;
  for (const s of services) for (const p of s.spec?.ports ?? []) ports.set(`${s.metadata.uid}/${p.port}`, next++);
  return (s: Service, p: ServicePort) => ports.get(`${s.metadata.uid}/${p.port}`);
}
const appPorts = allocate(guestbookServices);
const entry = (appPort: number, internalPort: number, extra: Record<string, unknown> = {}) => ({
  protocol: "tcp",
  internal_port: internalPort,
  ports: [{ port: appPort }],
  autostart: false,
  autostop: "off",
  ...extra,
});

describe("pod -> machine services (guestbook: two Services on port 6379)", () => {
  it.each([
    ["redis-leader", [entry(10000, 6379)]],
    ["redis-follower", [entry(10001, 6379)]],
    ["frontend", [entry(10002, 80)]],
  ])("%s backs exactly its own Service, on its own app port", (prefix, expected) => {
    expect(podToMachineServices(podNamed(prefix), guestbookServices, appPorts)).toEqual({ services: expected, findings: [] });
  });

  it("a pod relabelled out of a selector backs nothing; one matching two Services backs both, ordered by app port", () => {
    const leader = podNamed("redis-leader");
    const relabelled: Pod = { ...leader, metadata: { ...leader.metadata, labels: { app: "redis", role: "standby", tier: "backend" } } };
    expect(podToMachineServices(relabelled, guestbookServices, appPorts).services).toEqual([]);
    const both: Service = { ...guestbookServices[0]!, metadata: { ...guestbookServices[0]!.metadata, name: "redis", uid: "u-redis" }, spec: { ...guestbookServices[0]!.spec, selector: { app: "redis" } } };
    const ports = allocate([both, ...guestbookServices]);
    expect(podToMachineServices(leader, [...guestbookServices, both], ports).services.map((s) => s.ports?.[0]?.port)).toEqual([10000, 10001]);
  });

  it("a Service without an app port yet, in another namespace, headless or ExternalName is skipped", () => {
    const leader = podNamed("redis-leader");
    const svc = guestbookServices[0]!;
    const other: Service = { ...svc, metadata: { ...svc.metadata, namespace: "shop" } };
    const headless: Service = { ...svc, spec: { ...svc.spec, clusterIP: "None" } };
    const external: Service = { ...svc, spec: { ...svc.spec, type: "ExternalName", externalName: "db.example.org" } };
    for (const s of [other, headless, external]) expect(podToMachineServices(leader, [s], appPorts).services).toEqual([]);
    expect(podToMachineServices(leader, [svc], () => undefined).services).toEqual([]);
  });
});

describe("targetPort and readiness", () => {
  const echo = loadObject("objects.yaml", "Service", "tcp-echo");
  const web0 = loadObjects("statefulset-web.yaml", "Pod")[0]!;
  const labelled = (pod: Pod, ports: { name?: string; containerPort: number }[], probe?: Record<string, unknown>): Pod => ({
    ...pod,
    metadata: { ...pod.metadata, labels: { app: "tcp-echo" } },
    spec: { ...pod.spec, containers: [{ ...pod.spec.containers[0]!, ports, readinessProbe: probe as never }] },
  });
  const ports = allocate([echo]);

  it("resolves a named targetPort per pod; a pod without that port is no backend of that Service port", () => {
    const withAlt = labelled(web0, [{ containerPort: 9000 }, { name: "tcp-alt", containerPort: 9100 }]);
    expect(podToMachineServices(withAlt, [echo], ports).services.map((s) => [s.ports?.[0]?.port, s.internal_port])).toEqual([
      [10000, 9000],
      [10001, 9100],
    ]);
    const without = podToMachineServices(labelled(web0, [{ containerPort: 9000 }]), [echo], ports);
    expect(without.services.map((s) => s.internal_port)).toEqual([9000]);
    expect(without.findings).toEqual(['Service default/tcp-echo spec.ports[1].targetPort: pod has no container port named "tcp-alt"']);
  });

  it("the serving container's readiness probe is the service check (named port resolved); exec becomes a TCP check; none, no check", () => {
    const headlessOff: Service = { ...loadObjects("statefulset-web.yaml", "Service")[0]!, spec: { selector: { app: "nginx" }, ports: [{ name: "web", port: 80, targetPort: "web" }] } };
    const [service] = podToMachineServices(web0, [headlessOff], () => 20000).services;
    expect(service).toEqual(entry(20000, 80, { checks: [{ type: "http", port: 80, method: "GET", path: "/", protocol: "http", interval: "5s", timeout: "1s", grace_period: "0s" }] }));
    const exec = labelled(web0, [{ containerPort: 9000 }], { exec: { command: ["redis-cli", "ping"] }, periodSeconds: 3 });
    expect(podToMachineServices(exec, [echo], ports).services[0]!.checks).toEqual([{ type: "tcp", port: 9000, interval: "3s", timeout: "1s", grace_period: "0s" }]);
    expect(podToMachineServices(labelled(web0, [{ containerPort: 9000 }]), [echo], ports).services[0]!.checks).toBeUndefined();
  });

  it("UDP ports are reported, not proxied", () => {
    const udp: Service = { ...echo, spec: { ...echo.spec, ports: [{ name: "dns", port: 53, protocol: "UDP" }] } };
    expect(podToMachineServices(labelled(web0, []), [udp], () => 30000)).toEqual({ services: [], findings: ["Service default/tcp-echo spec.ports[0]: only TCP is proxied on Fly"] });
  });
});
