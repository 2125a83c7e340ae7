import { describe, expect, it } from "vitest";
import { allMachines, eventually, fly, getPod, newCluster, pod, podPhase, postEvents } from "./helpers";

describe("a pod becomes exactly one machine", () => {
  it("ADDED creates one machine with the contract's metadata and the pod turns Running with the machine's IPv6", async () => {
    const { cluster, app } = newCluster();
    const p = pod({ name: "web", namespace: "shop" });
    const [r] = await postEvents(cluster, [{ type: "ADDED", object: p }]);
    expect(r).toMatchObject({ uid: p.metadata.uid, kind: "Pod", outcome: "applied" });

    const view = await podPhase(cluster, p.metadata.uid, "Running");
    const machines = await allMachines(app);
    expect(machines).toHaveLength(1);
    const m = machines[0]!;
    expect(m.config?.metadata).toMatchObject({
      machinelet_cluster: cluster,
      machinelet_pod_uid: p.metadata.uid,
      machinelet_namespace: "shop",
      machinelet_pod: "web",
    });
    expect(m.config?.image).toBe("nginx:1.27");
    expect(view).toMatchObject({ uid: p.metadata.uid, namespace: "shop", name: "web", machineId: m.id, machineState: "started" });
    expect(view.status.podIP).toBe(m.private_ip);
    expect(view.status.podIP).toMatch(/^fdaa:/);
    expect(view.status.podIPs).toEqual([{ ip: m.private_ip }]);
    expect(view.status.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
    expect(view.status.conditions?.find((c) => c.type === "machinelet.fly.io/Guest")).toMatchObject({ status: "True", message: "shared-cpu-1x, 256 MB" });
    expect(m.config?.guest).toMatchObject({ cpu_kind: "shared", cpus: 1, memory_mb: 256 });
  });

  it("what the machine cannot honour is named in the event outcome and on the pod's status", async () => {
    const { cluster } = newCluster();
    const p = pod({ spec: { containers: [{ name: "web", image: "nginx", ports: [{ containerPort: 80, hostPort: 8080 }], lifecycle: { postStart: { exec: { command: ["true"] } } } }] } });
    const [r] = await postEvents(cluster, [{ type: "ADDED", object: p }]);
    expect(r!.message).toMatch(/not honoured: .*spec\.containers\[0\]\.ports\[0\]\.hostPort/);
    expect(r!.message).toMatch(/lifecycle\.postStart/);
    const view = await podPhase(cluster, p.metadata.uid, "Running");
    const c = view.status.conditions?.find((x) => x.type === "machinelet.fly.io/NotHonoured");
    expect(c?.status).toBe("True");
    expect(c?.message).toMatch(/hostPort/);
  });

  it("repeated and stale deliveries change nothing; a labels-only change never replaces the VM", async () => {
    const { cluster, app } = newCluster();
    const p = pod({ rv: 10 });
    await postEvents(cluster, [{ type: "ADDED", object: p }]);
    await podPhase(cluster, p.metadata.uid, "Running");
    const [before] = await allMachines(app);

    const again = await postEvents(cluster, [
      { type: "ADDED", object: p },
      { type: "MODIFIED", object: p },
      { type: "MODIFIED", object: { ...p, metadata: { ...p.metadata, resourceVersion: "9", labels: { stale: "yes" } } } },
    ]);
    expect(again.map((x) => x.outcome)).toEqual(["unchanged", "unchanged", "unchanged"]);

    const relabelled = { ...p, metadata: { ...p.metadata, resourceVersion: "11", labels: { app: "web", tier: "front" } } };
    expect((await postEvents(cluster, [{ type: "MODIFIED", object: relabelled }]))[0]!.outcome).toBe("applied");
    await new Promise((r) => setTimeout(r, 300));
    const after = await allMachines(app);
    expect(after).toHaveLength(1);
    expect(after[0]!.version).toBe(before!.version);
  });

  it("a machine-relevant change updates the machine in place with current_version", async () => {
    const { cluster, app } = newCluster();
    const p = pod({ rv: 10 });
    await postEvents(cluster, [{ type: "ADDED", object: p }]);
    await podPhase(cluster, p.metadata.uid, "Running");
    const [before] = await allMachines(app);

    const changed = { ...p, metadata: { ...p.metadata, resourceVersion: "12" }, spec: { ...p.spec, containers: [{ name: "web", image: "nginx:1.28" }] } };
    expect((await postEvents(cluster, [{ type: "MODIFIED", object: changed }]))[0]!.outcome).toBe("applied");
    const m = await eventually("machine updated", async () => {
      const [x] = await allMachines(app);
      return x?.config?.image === "nginx:1.28" && x.state === "started" ? x : undefined;
    });
    expect(m.id).toBe(before!.id);
    expect(m.version).not.toBe(before!.version);
    expect(await allMachines(app)).toHaveLength(1);
    await eventually("pod sees the new version", async () => (await getPod(cluster, p.metadata.uid))?.machineState === "started");
  });

  it("deletionTimestamp stops the machine with the pod's grace period, then destroys it; the UID never comes back", async () => {
    const { cluster, app } = newCluster();
    const p = pod({ rv: 10, spec: { terminationGracePeriodSeconds: 5 } });
    await postEvents(cluster, [{ type: "ADDED", object: p }]);
    await podPhase(cluster, p.metadata.uid, "Running");

    const terminating = { ...p, metadata: { ...p.metadata, resourceVersion: "20", deletionTimestamp: new Date().toISOString(), deletionGracePeriodSeconds: 5 } };
    expect((await postEvents(cluster, [{ type: "MODIFIED", object: terminating }]))[0]!.outcome).toBe("applied");
    await eventually("pod forgotten", async () => (await getPod(cluster, p.metadata.uid)) === undefined);
    const [m] = await allMachines(app);
    expect(m!.state).toBe("destroyed");
    const events = await fly.listMachineEvents(app, m!.id, 50).catch(() => []);
    if (events.length) expect(events.map((e) => e.type)).toContain("stop");

    const revived = await postEvents(cluster, [
      { type: "ADDED", object: p },
      { type: "MODIFIED", object: { ...p, metadata: { ...p.metadata, resourceVersion: "99" } } },
      { type: "DELETED", object: terminating },
    ]);
    expect(revived.map((x) => x.outcome)).toEqual(["unchanged", "unchanged", "unchanged"]);
    expect(await getPod(cluster, p.metadata.uid)).toBeUndefined();
    expect(await allMachines(app)).toHaveLength(1);
  });

  it("DELETED without a prior deletionTimestamp destroys the machine at once", async () => {
    const { cluster, app } = newCluster();
    const p = pod({ rv: 10 });
    await postEvents(cluster, [{ type: "ADDED", object: p }]);
    await podPhase(cluster, p.metadata.uid, "Running");
    expect((await postEvents(cluster, [{ type: "DELETED", object: p }]))[0]!.outcome).toBe("applied");
    await eventually("machine destroyed", async () => (await allMachines(app))[0]?.state === "destroyed");
    await eventually("pod forgotten", async () => (await getPod(cluster, p.metadata.uid)) === undefined);
  });

  it("a pod added and deleted in one batch never gets a machine that survives", async () => {
    const { cluster, app } = newCluster();
    const p = pod({ rv: 10 });
    await postEvents(cluster, [
      { type: "ADDED", object: p },
      { type: "DELETED", object: { ...p, metadata: { ...p.metadata, resourceVersion: "11" } } },
    ]);
    await eventually("pod forgotten", async () => (await getPod(cluster, p.metadata.uid)) === undefined);
    const machines = await allMachines(app);
    expect(machines.every((m) => m.state === "destroyed")).toBe(true);
  });
});
