import { describe, expect, it } from "vitest";
import type { Service } from "../../../src/shared/k8s";
import { FindingsLog } from "../../../src/worker/translate/findings";
import { podServiceEnv, serviceEnvVars } from "../../../src/worker/translate/service-env";
import type { Pod } from "../../../src/shared/k8s";
import { loadObject, loadObjects } from "../../fixtures/manifests/load";

const guestbook = loadObjects("guestbook.yaml", "Service");
const echo = loadObject("objects.yaml", "Service", "tcp-echo");
const ADDRESSES: Record<string, string> = { "redis-leader": "fdaa:0:1:0:1::a", "redis-follower": "fdaa:0:1:0:1::b", frontend: "fdaa:0:1:0:1::c", "tcp-echo": "fdaa:0:1:0:1::d" };
const addressOf = (s: Service) => ADDRESSES[s.metadata.name];
const pod = (namespace = "default", enableServiceLinks?: boolean) => ({ metadata: { namespace }, spec: enableServiceLinks === undefined ? {} : { enableServiceLinks } });

describe("Service environment variables as the kubelet injects them", () => {
  it("gives a named two-port Service every variable, IPv6 addresses bracketed in URLs", () => {
    expect(serviceEnvVars(pod(), [echo], addressOf)).toEqual({
      TCP_ECHO_SERVICE_HOST: "fdaa:0:1:0:1::d",
      TCP_ECHO_SERVICE_PORT: "9000",
      TCP_ECHO_SERVICE_PORT_TCP: "9000",
      TCP_ECHO_SERVICE_PORT_TCP_OTHER: "9001",
      TCP_ECHO_PORT: "tcp://[fdaa:0:1:0:1::d]:9000",
      TCP_ECHO_PORT_9000_TCP: "tcp://[fdaa:0:1:0:1::d]:9000",
      TCP_ECHO_PORT_9000_TCP_PROTO: "tcp",
      TCP_ECHO_PORT_9000_TCP_PORT: "9000",
      TCP_ECHO_PORT_9000_TCP_ADDR: "fdaa:0:1:0:1::d",
      TCP_ECHO_PORT_9001_TCP: "tcp://[fdaa:0:1:0:1::d]:9001",
      TCP_ECHO_PORT_9001_TCP_PROTO: "tcp",
      TCP_ECHO_PORT_9001_TCP_PORT: "9001",
      TCP_ECHO_PORT_9001_TCP_ADDR: "fdaa:0:1:0:1::d",
    });
  });

  it("what the guestbook frontend reads: REDIS_LEADER_SERVICE_HOST and friends for every Service of its namespace", () => {
    const env = serviceEnvVars(pod(), guestbook, addressOf);
    expect(env).toMatchObject({ REDIS_LEADER_SERVICE_HOST: "fdaa:0:1:0:1::a", REDIS_FOLLOWER_SERVICE_PORT: "6379", FRONTEND_PORT_80_TCP_ADDR: "fdaa:0:1:0:1::c" });
    expect(Object.keys(env)).toHaveLength(3 * 7);
  });

  it("none with enableServiceLinks: false, none from other namespaces, none for headless, ExternalName or address-less Services", () => {
    expect(serviceEnvVars(pod("default", false), guestbook, addressOf)).toEqual({});
    expect(serviceEnvVars(pod("shop"), guestbook, addressOf)).toEqual({});
    const headless: Service = { ...echo, spec: { ...echo.spec, clusterIP: "None" } };
    const external: Service = { ...echo, spec: { type: "ExternalName", externalName: "x.example.org" } };
    expect(serviceEnvVars(pod(), [headless, external], addressOf)).toEqual({});
    expect(serviceEnvVars(pod(), [echo], () => undefined)).toEqual({});
  });

  it("takes the Services that existed when the pod was created, and waits for one without its Fly address yet", () => {
    const svc = (name: string, creationTimestamp: string) => ({ ...echo, metadata: { ...echo.metadata, name, uid: name, creationTimestamp } });
    const services = [svc("before", "2026-12-01T08:00:00Z"), svc("same-second", "2026-12-01T08:00:05Z"), svc("after", "2026-12-01T08:00:06Z")];
    const p = { metadata: { name: "p", namespace: "default", uid: "p", creationTimestamp: "2026-12-01T08:00:05Z" }, spec: { containers: [] } } as unknown as Pod;
    const ctx = (address: (s: Service) => string | "pending" | undefined) => ({ cluster: "c", services: () => services, serviceAddress: address });
    const log = new FindingsLog();
    const env = podServiceEnv(p, ctx((s) => (s.metadata.name === "same-second" ? "pending" : "fdaa::1")), log);
    expect(Object.keys(env).filter((k) => k.endsWith("_SERVICE_HOST"))).toEqual(["BEFORE_SERVICE_HOST"]);
    expect(log.waiting).toEqual([{ reason: "ContainerCreating", message: expect.stringMatching(/^Service default\/same-second has no Fly address yet/) }]);
    const ready = new FindingsLog();
    expect(Object.keys(podServiceEnv(p, ctx(() => "fdaa::1"), ready)).filter((k) => k.endsWith("_SERVICE_HOST")).sort()).toEqual(["BEFORE_SERVICE_HOST", "SAME_SECOND_SERVICE_HOST"]);
    expect(ready.waiting).toEqual([]);
    expect(podServiceEnv({ ...p, spec: { ...p.spec, enableServiceLinks: false } } as Pod, ctx(() => "pending"), new FindingsLog())).toEqual({});
  });
});
