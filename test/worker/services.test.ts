// Services in the cluster: app ports and the pods' `services` entries, through intake and convergence to the emulator.
import { describe, expect, it } from "vitest";
import { serviceViewSchema } from "../../src/shared/contract";
import { allMachines, emulatorUrl, eventually, newCluster, pod, postEvents, signedFetch } from "./helpers";

let rv = 5_000;
const service = (name: string, selector: Record<string, string>, ports: Array<Record<string, unknown>>, uid = crypto.randomUUID()) => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, namespace: "default", uid, resourceVersion: String(++rv) },
  spec: { selector, ports },
});
const redis = (role: string) => pod({ name: `redis-${role}`, labels: { app: "redis", role }, image: "redis:7", spec: { containers: [{ name: "redis", image: "redis:7", ports: [{ name: "redis", containerPort: 6379 }] }] } });

/** The app ports each pod's machine serves, by pod name. */
async function servedPorts(app: string): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const m of await allMachines(app)) {
    if (m.state === "destroyed") continue;
    const services = (m.config?.services ?? []) as Array<{ ports?: Array<{ port?: number }>; internal_port?: number }>;
    out[m.config?.metadata?.machinelet_pod ?? m.id] = services.map((s) => s.ports?.[0]?.port ?? 0);
  }
  return out;
}

describe("Services: each Service port an app port of its own, on exactly the selected pods", () => {
  it("keeps two Services on port 6379 apart, and follows relabelling and deletion", async () => {
    const { cluster, app } = newCluster("svc");
    const leaderSvc = service("redis-leader", { app: "redis", role: "leader" }, [{ port: 6379, targetPort: "redis" }]);
    const followerSvc = service("redis-follower", { app: "redis", role: "follower" }, [{ port: 6379 }]);
    const leader = redis("leader");
    const follower = redis("follower");
    const results = await postEvents(cluster, [
      { type: "ADDED", object: leaderSvc },
      { type: "ADDED", object: followerSvc },
      { type: "ADDED", object: leader },
      { type: "ADDED", object: follower },
    ]);
    expect(results.map((r) => r.outcome)).toEqual(["applied", "applied", "applied", "applied"]);

    const first = await eventually("both pods serve an app port", async () => {
      const p = await servedPorts(app);
      return p["redis-leader"]?.length === 1 && p["redis-follower"]?.length === 1 && p;
    });
    const [leaderPort] = first["redis-leader"]!;
    const [followerPort] = first["redis-follower"]!;
    expect(leaderPort).not.toBe(followerPort);
    for (const p of [leaderPort!, followerPort!]) expect(p).toBeGreaterThanOrEqual(10000);
    const machine = (await allMachines(app)).find((m) => m.config?.metadata?.machinelet_pod === "redis-leader")!;
    expect(machine.config?.services).toEqual([{ protocol: "tcp", internal_port: 6379, ports: [{ port: leaderPort }], autostart: false, autostop: false }]);

    // The emulator routes each app port on the cluster app's Flycast address to exactly its pod.
    const ip = ((await (await fetch(`${emulatorUrl}/v1/apps/${app}/ip_assignments`, { method: "POST", headers: { authorization: "Bearer test-token", "content-type": "application/json" }, body: JSON.stringify({ type: "private_v6" }) })).json()) as { ip: string }).ip;
    const from = (await allMachines(app)).find((m) => m.config?.metadata?.machinelet_pod === "redis-follower")!.id;
    const route = async (port: number) => ((await (await fetch(`${emulatorUrl}/_emulator/route?from=${from}&ip=${encodeURIComponent(ip)}&port=${port}`)).json()) as { targets: { machine_id: string }[] }).targets.map((t) => t.machine_id);
    await eventually("the leader's app port routes to its machine once it runs", async () => JSON.stringify(await route(leaderPort!)) === JSON.stringify([machine.id]));

    // Relabel the leader into a follower: its machine moves to the follower's app port; the leader Service has no backend.
    await postEvents(cluster, [{ type: "MODIFIED", object: { ...leader, metadata: { ...leader.metadata, resourceVersion: String(++rv), labels: { app: "redis", role: "follower" } } } }]);
    await eventually("relabelled pod follows its new Service", async () => (await servedPorts(app))["redis-leader"]?.[0] === followerPort);

    // Delete the follower Service: nobody serves its app port any more; the leader Service keeps its own.
    await postEvents(cluster, [{ type: "DELETED", object: followerSvc }]);
    await eventually("deleted Service's port is served by nobody", async () => {
      const p = await servedPorts(app);
      return p["redis-leader"]?.length === 0 && p["redis-follower"]?.length === 0;
    });
    const again = service("redis-leader", { app: "redis", role: "leader" }, [{ port: 6379, targetPort: "redis" }, { port: 26379 }], leaderSvc.metadata.uid);
    await postEvents(cluster, [{ type: "MODIFIED", object: again }]);
    await postEvents(cluster, [{ type: "MODIFIED", object: { ...leader, metadata: { ...leader.metadata, resourceVersion: String(++rv), labels: { app: "redis", role: "leader" } } } }]);
    const last = await eventually("the leader Service keeps its app port and gains one", async () => {
      const p = (await servedPorts(app))["redis-leader"];
      return p?.length === 2 && p;
    });
    expect(last[0]).toBe(leaderPort);
  });
});

describe("a Service made after its pods run", () => {
  it("gives the running pods' machines their services entries, and no Service variables", { timeout: 60_000 }, async () => {
    const { cluster, app } = newCluster("svclate");
    // Timestamps as the API server sets them: the pods were made first.
    const at = (s: number) => new Date(Date.UTC(2026, 11, 1, 9, 0, s)).toISOString().replace(".000Z", "Z");
    const pods = [redis("late-a"), redis("late-b")].map((p) => ({ ...p, metadata: { ...p.metadata, labels: { app: "late" }, creationTimestamp: at(0) } }));
    await postEvents(cluster, pods.map((object) => ({ type: "ADDED", object })));
    await eventually("both pods run", async () => (await allMachines(app)).filter((m) => m.state === "started").length === 2);
    const svc = service("late", { app: "late" }, [{ port: 6379 }]);
    await postEvents(cluster, [{ type: "ADDED", object: { ...svc, metadata: { ...svc.metadata, creationTimestamp: at(1) } } }]);
    const served = await eventually("both pods serve the Service's app port", async () => {
      const p = await servedPorts(app);
      return p["redis-late-a"]?.length === 1 && p["redis-late-b"]?.length === 1 && p;
    }, 30_000);
    expect(served["redis-late-a"]).toEqual(served["redis-late-b"]);
    const env = (await allMachines(app)).find((m) => m.config?.metadata?.machinelet_pod === "redis-late-a")!.config?.env ?? {};
    expect(Object.keys(env).filter((k) => k.startsWith("LATE_"))).toEqual([]);
  });
});

describe("a Service made in the same second as the pods it selects", () => {
  it("counts as older (timestamps have whole seconds): the running pods get its variables and services entries once it has its address", { timeout: 60_000 }, async () => {
    const { cluster, app } = newCluster("svcsame");
    const at = new Date(Date.UTC(2026, 11, 1, 9, 30, 0)).toISOString().replace(".000Z", "Z");
    const pods = [redis("same-a"), redis("same-b")].map((p) => ({ ...p, metadata: { ...p.metadata, labels: { app: "same" }, creationTimestamp: at } }));
    await postEvents(cluster, pods.map((object) => ({ type: "ADDED", object })));
    await eventually("both pods run", async () => (await allMachines(app)).filter((m) => m.state === "started").length === 2);
    const svc = service("same", { app: "same" }, [{ port: 6379 }]);
    await postEvents(cluster, [{ type: "ADDED", object: { ...svc, metadata: { ...svc.metadata, creationTimestamp: at } } }]);
    await eventually("both pods serve the Service's app port", async () => {
      const p = await servedPorts(app);
      return p["redis-same-a"]?.length === 1 && p["redis-same-b"]?.length === 1 && p;
    }, 40_000);
    const { address } = serviceViewSchema.parse(await (await signedFetch(`/v1/clusters/${cluster}/services/default/same`)).json());
    const env = (await allMachines(app)).find((m) => m.config?.metadata?.machinelet_pod === "redis-same-a")!.config?.env ?? {};
    expect(env.SAME_SERVICE_HOST).toBe(address);
  });
});

describe("GET /v1/clusters/{cluster}/services/{namespace}/{name}", () => {
  it("shows the Service as the worker maps it: names, ports, app ports, backends; 404 for an unknown one", { timeout: 60_000 }, async () => {
    const { cluster, app } = newCluster("svcview");
    const web = service("web", { app: "web" }, [{ name: "http", port: 80, targetPort: 8080 }]);
    const a = pod({ labels: { app: "web" } });
    const other = pod({ labels: { app: "other" } });
    await postEvents(cluster, [{ type: "ADDED", object: web }, { type: "ADDED", object: a }, { type: "ADDED", object: other }]);
    const view = await eventually("the backend is ready and the Service has its address", async () => {
      const res = await signedFetch(`/v1/clusters/${cluster}/services/default/web`);
      expect(res.status).toBe(200);
      const body = serviceViewSchema.parse(await res.json());
      return body.backends[0]?.ready && body.address !== null && body;
    }, 40_000); // the Service app waits its turn in Fly's token-wide app budget
    expect(view).toMatchObject({
      namespace: "default",
      name: "web",
      type: "ClusterIP",
      address: expect.stringMatching(/^fdaa:/),
      names: ["web", "web.default", "web.default.svc", "web.default.svc.cluster.local"],
      ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }],
      fly: { clusterApp: app, serviceApp: expect.stringMatching(new RegExp(`^${app}-s-default-web-`)), appPorts: { "80": expect.any(Number) } },
    });
    expect(view.fly.hops).toEqual({
      "80": [
        { app: view.fly.serviceApp, ip: view.address, port: 80 },
        { app, ip: expect.stringMatching(/^fdaa:/), port: view.fly.appPorts["80"] },
      ],
    });
    expect(view.backends).toEqual([{ uid: a.metadata.uid, pod: a.metadata.name, machineId: expect.any(String), ready: true }]);
    expect((await signedFetch(`/v1/clusters/${cluster}/services/default/nope`)).status).toBe(404);
  });
});
