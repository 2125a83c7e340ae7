/**
 * The whole Service path on the emulator's loopback network, with real bytes: pod machines carry
 * the `services` entries the translation makes, each Service gets its app, Flycast address and
 * forwarder machine as the plan makes them, the real forwarder program runs for those machines,
 * and the cluster DNS names the addresses. Then a connection to a Service name at its port must
 * reach exactly that Service's Ready pod at its targetPort.
 */
import { readFileSync } from "node:fs";
import { Resolver } from "node:dns/promises";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startForwarderRunner, type ForwarderRunner } from "../../../src/dev/forwarder-runner";
import { ClusterZone } from "../../../src/dns/cluster-zone";
import { startDnsServer, type RunningDnsServer } from "../../../src/dns/server";
import { startEmulator, type RunningEmulator } from "../../../src/emulator/server";
import { parseForward } from "../../../src/forwarder/forwarder.mjs";
import { FORWARDER_SOURCE } from "../../../src/forwarder/source.generated";
import { SERVICE_ADDRESS_ANNOTATION, type Pod, type Service } from "../../../src/shared/k8s";
import { podToMachineServices } from "../../../src/worker/translate/service-backends";
import { allocateAppPorts, forwarderMachineConfig, serviceAppName, serviceHops, servicePortKey } from "../../../src/worker/translate/service-plan";
import { loadObjects } from "../../fixtures/manifests/load";
import { waitFor } from "../relay/helpers";

const TOKEN = "t";
const ORG = "personal";
const CLUSTER_APP = "fks-path";
let emu: RunningEmulator;
let runner: ForwarderRunner;
let dns: RunningDnsServer;
const resolver = new Resolver({ timeout: 1000, tries: 1 });

const fly = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${emu.url}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await res.json().catch(() => undefined);
  expect(res.status, JSON.stringify(json)).toBeLessThan(300);
  return json as any;
};
const started = (app: string, id: string) => fly("GET", `/v1/apps/${app}/machines/${id}/wait?state=started&timeout=10`);

const services = loadObjects("guestbook.yaml", "Service");
// The leader gets a readiness probe, so that un-readying it is a service check failing.
const pods: Pod[] = loadObjects("guestbook.yaml", "Pod").map((p) =>
  p.metadata.name.startsWith("redis-leader") ? { ...p, spec: { ...p.spec, containers: [{ ...p.spec.containers[0]!, readinessProbe: { tcpSocket: { port: 6379 }, periodSeconds: 5 } }] } } : p,
);
const appPorts = allocateAppPorts(new Map(), services);
const podMachine = new Map<string, string>();
const addressOf = new Map<string, string>();
let clusterFlycast = "";

/** What a client on the org's network gets from `name`:`port`: resolve with the cluster DNS, dial through the loopback mapping. */
async function dialService(name: string, port: number): Promise<string> {
  const [ip] = await resolver.resolve6(name);
  const { addresses } = (await (await fetch(`${emu.url}/_emulator/network`)).json()) as { addresses: { kind: string; ip: string; port: number; loopback: string }[] };
  const entry = addresses.find((e) => e.kind === "proxy" && e.ip === ip && e.port === port);
  if (!entry) return "no listener";
  const [host, p] = entry.loopback.split(":");
  return new Promise((resolve) => {
    const socket = connect(Number(p), host!);
    let out = "";
    socket.on("data", (d) => (out += d.toString()));
    socket.on("close", () => resolve(out));
    socket.on("error", () => resolve(out));
  });
}

beforeAll(async () => {
  emu = await startEmulator({ tokens: [TOKEN], apps: [CLUSTER_APP], org: ORG, loopback: true, config: { bootMs: 10, transitionMs: 10, rateLimits: false } });
  clusterFlycast = (await fly("POST", `/v1/apps/${CLUSTER_APP}/ip_assignments`, { type: "private_v6" })).ip;
  for (const pod of pods) {
    const backends = podToMachineServices(pod, services, (s, p) => appPorts.get(servicePortKey(s.metadata.uid, p)));
    const m = await fly("POST", `/v1/apps/${CLUSTER_APP}/machines`, { config: { image: pod.spec.containers[0]!.image, services: backends.services } });
    podMachine.set(pod.metadata.name, m.id);
    await started(CLUSTER_APP, m.id);
  }
  for (const svc of services) {
    const app = serviceAppName(CLUSTER_APP, svc.metadata);
    await fly("POST", "/v1/apps", { name: app, org_slug: ORG });
    addressOf.set(svc.metadata.name, (await fly("POST", `/v1/apps/${app}/ip_assignments`, { type: "private_v6" })).ip);
    const config = forwarderMachineConfig({ cluster: "path", service: svc, clusterFlycast, appPorts })!;
    const m = await fly("POST", `/v1/apps/${app}/machines`, { config });
    await started(app, m.id);
  }
  const annotated: Service[] = services.map((s) => ({ ...s, metadata: { ...s.metadata, annotations: { [SERVICE_ADDRESS_ANNOTATION]: addressOf.get(s.metadata.name)! } } }));
  dns = await startDnsServer({ host: "127.0.0.1", port: 0, zone: () => new ClusterZone("cluster.local", annotated, pods), searchNamespace: "default", ttl: 5, forward: async () => undefined });
  resolver.setServers([`127.0.0.1:${dns.port}`]);
  runner = startForwarderRunner({ emulatorUrl: emu.url, intervalMs: 100 });
  await runner.sync();
});
afterAll(async () => {
  await runner?.stop();
  await dns?.close();
  await emu?.close();
});

describe("a Service name reaches exactly its Ready pods", () => {
  it("two Services on port 6379 and one on 80, each through its own address, forwarder and app port", async () => {
    expect(await dialService("redis-leader", 6379)).toBe(`${podMachine.get("redis-leader-5596fc7b68-6t9mq")} 6379\n`);
    expect(await dialService("redis-follower.default", 6379)).toBe(`${podMachine.get("redis-follower-74d9c98c6-kx7pz")} 6379\n`);
    expect(await dialService("frontend.default.svc.cluster.local", 80)).toBe(`${podMachine.get("frontend-795b566649-8bq4m")} 80\n`);
    // A Service's address exposes only its own ports.
    expect(await dialService("frontend", 6379)).toBe("no listener");
  });

  it("each hop of fly.hops is where the emulator's route sends it", async () => {
    const leader = services.find((s) => s.metadata.name === "redis-leader")!;
    const app = serviceAppName(CLUSTER_APP, leader.metadata);
    const hops = serviceHops(leader, { serviceApp: app, address: addressOf.get("redis-leader")!, clusterApp: CLUSTER_APP, clusterFlycast, appPorts })["6379"]!;
    const route = async (ip: string, port: number) => ((await (await fetch(`${emu.url}/_emulator/route?ip=${encodeURIComponent(ip)}&port=${port}`)).json()) as { targets: { app: string; internal_port: number; machine_id: string }[] }).targets;
    expect((await route(hops[0]!.ip, hops[0]!.port)).map((t) => [t.app, t.internal_port])).toEqual([[app, 6379]]);
    expect(await route(hops[1]!.ip, hops[1]!.port)).toEqual([{ app: CLUSTER_APP, machine_id: podMachine.get("redis-leader-5596fc7b68-6t9mq"), internal_port: 6379 }]);
  });

  it("a pod whose readiness check fails stops receiving connections, and receives them again when it passes", async () => {
    const leader = podMachine.get("redis-leader-5596fc7b68-6t9mq")!;
    const set = (status: string | null) => fetch(`${emu.url}/_emulator/apps/${CLUSTER_APP}/machines/${leader}/checks`, { method: "PUT", body: JSON.stringify({ "servicecheck-00-tcp-6379": status }) });
    await set("critical");
    expect(await dialService("redis-leader", 6379)).toBe("");
    await set(null);
    expect(await dialService("redis-leader", 6379)).toBe(`${leader} 6379\n`);
  });

  it("an idle forwarder that Fly stopped is started by the first connection", async () => {
    const app = serviceAppName(CLUSTER_APP, services.find((s) => s.metadata.name === "frontend")!.metadata);
    const [fwd] = await fly("GET", `/v1/apps/${app}/machines`);
    await fly("POST", `/v1/apps/${app}/machines/${fwd.id}/stop`);
    await fly("GET", `/v1/apps/${app}/machines/${fwd.id}/wait?state=stopped&timeout=10`);
    await runner.sync();
    // The first connection starts the machine; the runner brings its process back within a pass.
    await dialService("frontend", 80);
    expect((await fly("GET", `/v1/apps/${app}/machines/${fwd.id}`)).state).toBe("started");
    const answer = await waitFor("frontend answers again", async () => {
      await runner.sync();
      const out = await dialService("frontend", 80);
      return out.endsWith(" 80\n") && out;
    });
    expect(answer).toBe(`${podMachine.get("frontend-795b566649-8bq4m")} 80\n`);
  });
});

describe("the forwarder program", () => {
  it("is shipped as written: the embedded source is the file", () => {
    expect(FORWARDER_SOURCE).toBe(readFileSync(new URL("../../../src/forwarder/forwarder.mjs", import.meta.url), "utf8"));
  });

  it("reads FORWARD and names what is wrong with it", () => {
    expect(parseForward("80=[fdaa:0:1::5]:10001, 443=10.0.0.1:10002")).toEqual([
      { listen: 80, host: "fdaa:0:1::5", port: 10001 },
      { listen: 443, host: "10.0.0.1", port: 10002 },
    ]);
    expect(() => parseForward("80=fdaa::5:10001")).toThrow('FORWARD entry "80=fdaa::5:10001": expected <listen port>=<host>:<port>, IPv6 hosts in brackets');
    expect(() => parseForward("99999=[::1]:1")).toThrow(/99999/);
  });
});
