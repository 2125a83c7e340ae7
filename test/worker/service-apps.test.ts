// Each Service's Fly app, Flycast address and forwarder, made by the worker and followed hop by hop with the emulator's route.
import { describe, expect, it } from "vitest";
import { serviceViewSchema, type ServiceView } from "../../src/shared/contract";
import { serviceAppName } from "../../src/worker/translate/service-plan";
import { allMachines, emulatorConfig, emulatorUrl, eventually, fly, newCluster, pod, postEvents, signedFetch } from "./helpers";

let rv = 9_000;
const service = (name: string, selector: Record<string, string>, ports: Array<Record<string, unknown>>, over: { uid?: string; type?: string; creationTimestamp?: string; loadBalancerClass?: string } = {}) => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, namespace: "default", uid: over.uid ?? crypto.randomUUID(), resourceVersion: String(++rv), ...(over.creationTimestamp ? { creationTimestamp: over.creationTimestamp } : {}) },
  spec: { selector, ports, ...(over.type ? { type: over.type } : {}), ...(over.loadBalancerClass ? { loadBalancerClass: over.loadBalancerClass } : {}) },
});
const redis = (role: string, readinessProbe?: unknown) =>
  pod({ name: `redis-${role}`, labels: { app: "redis", role }, spec: { containers: [{ name: "redis", image: "redis:7", ports: [{ name: "redis", containerPort: 6379 }], ...(readinessProbe ? { readinessProbe } : {}) }] } });

async function view(cluster: string, name: string): Promise<ServiceView> {
  const res = await signedFetch(`/v1/clusters/${cluster}/services/default/${name}`);
  expect(res.status).toBe(200);
  return serviceViewSchema.parse(await res.json());
}

/**
 * The view once the Service has its address and a hop list for every port it should have. Fly's app
 * budget is token-wide (the emulator's too), and every test file's clusters create apps under it:
 * under a full run a Service app may wait its turn for a while.
 */
const addressed = (cluster: string, name: string, ports: number) =>
  eventually(
    `${name} has an address and ${ports} hop list(s)`,
    async () => {
      const v = await view(cluster, name);
      return v.address !== null && Object.keys(v.fly.hops).length === ports && v;
    },
    40_000,
  );

type Target = { app: string; machine_id: string; internal_port: number };
async function route(from: string, ip: string, port: number): Promise<Target[]> {
  const res = await fetch(`${emulatorUrl}/_emulator/route?from=${from}&ip=${encodeURIComponent(ip)}&port=${port}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { targets: Target[] }).targets;
}

/** Follows a Service port's hops from machine `from`: each hop's targets dial the next hop; the last targets are where bytes land. */
async function follow(from: string, hops: ServiceView["fly"]["hops"][string]): Promise<Target[]> {
  let at = [from];
  let targets: Target[] = [];
  for (const hop of hops) {
    targets = (await Promise.all(at.map((m) => route(m, hop.ip, hop.port)))).flat();
    expect(targets.every((t) => t.app === hop.app)).toBe(true);
    at = targets.map((t) => t.machine_id);
  }
  return targets;
}

async function machineOf(app: string, podName: string): Promise<string> {
  return eventually(`${podName}'s machine started`, async () => (await allMachines(app)).find((m) => m.config?.metadata?.machinelet_pod === podName && m.state === "started")?.id);
}

/** A call made by the test itself, retried while Fly's (token-wide) app budget answers 429. */
const paced = <T>(what: string, call: () => Promise<T>) =>
  eventually(what, async () => {
    try {
      return { value: await call() };
    } catch (e) {
      if ((e as { status?: number }).status === 429) return undefined;
      throw e;
    }
  }, 40_000).then((r) => r.value);

async function appExists(app: string): Promise<boolean> {
  const res = await fetch(`${emulatorUrl}/v1/apps/${app}`, { headers: { authorization: "Bearer test-token" } });
  return res.status === 200;
}

describe("Service apps: an address, app and forwarder per Service", { timeout: 90_000 }, () => {
  it("gives a LoadBalancer a public edge, but not one whose loadBalancerClass names another controller (only its Flycast address)", async () => {
    const { cluster, app } = newCluster("svclb");
    const ours = service("edge", { app: "web" }, [{ port: 443, targetPort: 8080 }], { type: "LoadBalancer" });
    const theirs = service("metallb", { app: "web" }, [{ port: 443, targetPort: 8080 }], { type: "LoadBalancer", loadBalancerClass: "metallb.io/metallb" });
    await postEvents(cluster, [ours, theirs].map((object) => ({ type: "ADDED", object })));
    const edge = await eventually("edge's public addresses", async () => (await view(cluster, "edge")).fly.public ?? undefined, 40_000);
    expect(edge.ips).toHaveLength(2);
    await addressed(cluster, "metallb", 1);
    // Its forwarder made (a public edge would come right after it), and passes that bring every Service along.
    await eventually("metallb's forwarder", async () => (await allMachines(serviceAppName(app, theirs.metadata))).length > 0, 40_000);
    for (let i = 0; i < 3; i++) expect((await signedFetch(`/v1/clusters/${cluster}/reconcile`, { body: {} })).status).toBe(200);
    const other = await view(cluster, "metallb");
    expect(other.address).not.toBeNull();
    expect(other.fly.public).toBeNull();
  });

  it("routes each Service's address:port to exactly its Ready pods' targetPort; two Services on one port never share backends", async () => {
    const { cluster, app } = newCluster("svcapp");
    const leaderSvc = service("redis-leader", { app: "redis", role: "leader" }, [{ port: 6379, targetPort: "redis" }]);
    const followerSvc = service("redis-follower", { app: "redis", role: "follower" }, [{ port: 6379 }]);
    const web = service("web", { app: "web" }, [{ name: "http", port: 80, targetPort: 8080 }]);
    const webPod = pod({ labels: { app: "web" }, spec: { containers: [{ name: "web", image: "nginx", ports: [{ containerPort: 8080 }] }] } });
    const leader = redis("leader");
    const follower = redis("follower");
    const unready = redis("follower-b", { tcpSocket: { port: 6379 }, periodSeconds: 5 });
    unready.metadata.labels = { app: "redis", role: "follower" };
    await postEvents(cluster, [leaderSvc, followerSvc, web, webPod, leader, follower, unready].map((object) => ({ type: "ADDED", object })));

    const [leaderView, followerView, webView] = [await addressed(cluster, "redis-leader", 1), await addressed(cluster, "redis-follower", 1), await addressed(cluster, "web", 1)];
    // Each its own app and address; the address is the first hop.
    expect(new Set([leaderView.address, followerView.address, webView.address]).size).toBe(3);
    expect(leaderView.fly.serviceApp).toBe(serviceAppName(app, leaderSvc.metadata));
    expect(leaderView.fly.hops["6379"]![0]).toEqual({ app: leaderView.fly.serviceApp, ip: leaderView.address, port: 6379 });
    expect(leaderView.fly.hops["6379"]![1]).toMatchObject({ app, port: leaderView.fly.appPorts["6379"] });

    const from = await machineOf(app, webPod.metadata.name);
    const leaderMachine = await machineOf(app, "redis-leader");
    const followerMachine = await machineOf(app, "redis-follower");
    const unreadyMachine = await machineOf(app, "redis-follower-b");
    await fetch(`${emulatorUrl}/_emulator/apps/${app}/machines/${unreadyMachine}/checks`, { method: "PUT", body: JSON.stringify({ "*": "critical" }) });

    const land = async (v: ServiceView, port: number) => (await follow(from, v.fly.hops[String(port)]!)).map((t) => `${t.app} ${t.machine_id}:${t.internal_port}`);
    expect(await land(leaderView, 6379)).toEqual([`${app} ${leaderMachine}:6379`]);
    expect(await land(followerView, 6379)).toEqual([`${app} ${followerMachine}:6379`]);
    expect(await land(webView, 80)).toEqual([`${app} ${(await machineOf(app, webPod.metadata.name))}:8080`]);
    // The first hop lands on the Service's own forwarder, at the Service port.
    const [fwd] = await route(from, leaderView.address!, 6379);
    expect(fwd).toMatchObject({ app: leaderView.fly.serviceApp, internal_port: 6379 });
    // A Service's address exposes only its own ports.
    expect(await route(from, webView.address!, 6379)).toEqual([]);

    // The unready follower joins when its check passes.
    await fetch(`${emulatorUrl}/_emulator/apps/${app}/machines/${unreadyMachine}/checks`, { method: "PUT", body: JSON.stringify({ "*": null }) });
    expect((await land(followerView, 6379)).sort()).toEqual([`${app} ${followerMachine}:6379`, `${app} ${unreadyMachine}:6379`].sort());

    // Exactly one app, one Flycast address and one forwarder per Service.
    for (const v of [leaderView, followerView, webView]) {
      expect((await allMachines(v.fly.serviceApp!)).length).toBe(1);
      expect((await fly.listIps(v.fly.serviceApp!)).ips.map((i) => i.ip)).toEqual([v.address]);
    }
  });

  it("updates the forwarder when ports change, keeps the address, and deletes the app when the Service goes", async () => {
    const { cluster, app } = newCluster("svcupd");
    const web = service("web", { app: "web" }, [{ name: "http", port: 80, targetPort: 8080 }]);
    const webPod = pod({ labels: { app: "web" }, spec: { containers: [{ name: "web", image: "nginx", ports: [{ containerPort: 8080 }, { containerPort: 9090, name: "metrics" }] }] } });
    await postEvents(cluster, [{ type: "ADDED", object: web }, { type: "ADDED", object: webPod }]);
    const first = await addressed(cluster, "web", 1);
    const changed = { ...web, metadata: { ...web.metadata, resourceVersion: String(++rv) }, spec: { ...web.spec, ports: [...web.spec.ports, { name: "metrics", port: 9090, targetPort: "metrics" }] } };
    await postEvents(cluster, [{ type: "MODIFIED", object: changed }]);
    const second = await addressed(cluster, "web", 2);
    expect(second.address).toBe(first.address);
    const fwd = await eventually("the forwarder serves both ports", async () => {
      const machines = await allMachines(first.fly.serviceApp!);
      return machines[0]?.config?.services?.length === 2 && machines;
    });
    expect(fwd.length).toBe(1);
    expect(fwd[0]!.config?.services?.map((s) => s.internal_port)).toEqual([80, 9090]);
    const from = await machineOf(app, webPod.metadata.name);
    const land = await eventually("port 9090 reaches the pod's metrics port", async () => {
      const t = await follow(from, second.fly.hops["9090"]!);
      return t.length === 1 && t;
    });
    expect(land).toEqual([{ app, machine_id: from, internal_port: 9090 }]);

    await postEvents(cluster, [{ type: "DELETED", object: changed }]);
    await eventually("the Service app is deleted", async () => !(await appExists(first.fly.serviceApp!)), 40_000);
  });

  it("never makes a second forwarder when a create's answer is lost (408)", async () => {
    const { cluster } = newCluster("svc408");
    const web = service("web", { app: "web" }, [{ port: 80 }]);
    const serviceApp = serviceAppName(`fks-${cluster}`, web.metadata);
    await emulatorConfig({ faults: { apps: [serviceApp], create408: 1 } });
    try {
      await postEvents(cluster, [{ type: "ADDED", object: web }, { type: "ADDED", object: pod({ labels: { app: "web" } }) }]);
      await addressed(cluster, "web", 1);
      await eventually("the forwarder is recorded", async () => (await allMachines(serviceApp)).length === 1);
      // Later passes keep finding the same one.
      await signedFetch(`/v1/clusters/${cluster}/reconcile`, { body: {} });
      expect((await allMachines(serviceApp)).filter((m) => m.state !== "destroyed").length).toBe(1);
    } finally {
      await emulatorConfig({ faults: { apps: [], create408: 0 } });
    }
  });

  it("adopts an app and address made before a crash instead of making others", async () => {
    const { cluster } = newCluster("svcadopt");
    const web = service("web", { app: "web" }, [{ port: 80 }]);
    const serviceApp = serviceAppName(`fks-${cluster}`, web.metadata);
    await paced("create the app", () => fly.createApp(serviceApp, "test-org"));
    const { ip } = await fly.allocatePrivateIp(serviceApp);
    await postEvents(cluster, [{ type: "ADDED", object: web }]);
    const v = await addressed(cluster, "web", 1);
    expect(v.address).toBe(ip);
    expect((await fly.listIps(serviceApp)).ips.map((i) => i.ip)).toEqual([ip]);
  });

  it("the reconcile sweep deletes this cluster's Service apps no row records whose Service is gone, and nothing else", async () => {
    const { cluster, app } = newCluster("svcsweep");
    const web = service("web", { app: "web" }, [{ port: 80 }]);
    await postEvents(cluster, [{ type: "ADDED", object: web }]);
    const kept = (await addressed(cluster, "web", 1)).fly.serviceApp!;
    // Left behind by lost state: a Service app of this cluster whose Service is gone ...
    const ghost = `${app}-s-default-ghost-0badf00d`;
    await paced("create the orphan", () => fly.createApp(ghost, "test-org"));
    await fly.createMachine(ghost, { config: { image: "node:24-alpine", metadata: { machinelet_cluster: cluster, machinelet_service_uid: crypto.randomUUID() } } });
    // ... and an app with the same prefix that nothing proves is ours.
    const stranger = `${app}-s-default-stranger-0badf00d`;
    await paced("create the stranger", () => fly.createApp(stranger, "test-org"));
    await fly.createMachine(stranger, { config: { image: "nginx", metadata: { machinelet_cluster: "someone-else" } } });
    await eventually("the reconcile answers", async () => (await signedFetch(`/v1/clusters/${cluster}/reconcile`, { body: {} })).status === 200);
    await eventually("the orphan is deleted", async () => !(await appExists(ghost)), 40_000);
    expect(await appExists(stranger)).toBe(true);
    expect(await appExists(kept)).toBe(true);
    await paced("delete the stranger", () => fly.deleteApp(stranger));
  });

  it("gives pods created after a Service its variables, carrying its Fly address: they wait for the address; older pods and enableServiceLinks: false get none", async () => {
    const { cluster, app } = newCluster("svcenv");
    const at = (s: number) => new Date(Date.UTC(2026, 11, 1, 8, 0, s)).toISOString().replace(".000Z", "Z");
    const older = pod({ labels: { app: "other" }, metadata: { creationTimestamp: at(0) } });
    const web = service("web-api", { app: "web" }, [{ name: "http", port: 80, targetPort: 8080 }], { creationTimestamp: at(1) });
    const newer = pod({ labels: { app: "other" }, metadata: { creationTimestamp: at(1) } });
    const unlinked = pod({ labels: { app: "other" }, metadata: { creationTimestamp: at(2) }, spec: { enableServiceLinks: false } });
    await postEvents(cluster, [older, web, newer, unlinked].map((object) => ({ type: "ADDED", object })));
    const { address } = await addressed(cluster, "web-api", 1);
    const envOf = async (p: { metadata: { name: string } }) => {
      const id = await machineOf(app, p.metadata.name);
      return ((await (await fetch(`${emulatorUrl}/_emulator/apps/${app}/machines/${id}/boot`)).json()) as { env: Record<string, string> }).env;
    };
    expect(await envOf(newer)).toMatchObject({ WEB_API_SERVICE_HOST: address, WEB_API_SERVICE_PORT: "80", WEB_API_SERVICE_PORT_HTTP: "80", WEB_API_PORT: `tcp://[${address}]:80`, WEB_API_PORT_80_TCP_ADDR: address });
    expect(Object.keys(await envOf(older)).filter((k) => k.startsWith("WEB_API_"))).toEqual([]);
    expect(Object.keys(await envOf(unlinked)).filter((k) => k.startsWith("WEB_API_"))).toEqual([]);
  });
});
