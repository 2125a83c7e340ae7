/**
 * Every row of a pod's lifecycle as one case, driven without HTTP: the real intake, convergence
 * steps and reconcile passes over the cluster's real SQLite stores, against an in-memory fake of
 * the Machines calls and a fixed clock. The workerd-over-HTTP tests beside this file are the
 * integration layer for the same behaviour.
 */
import { describe, expect, it } from "vitest";
import { pod } from "./helpers";
import { withCluster, type Harness } from "./support/cluster-harness";

/** A pod converged to Running on its machine. */
async function running(h: Harness, over: Parameters<typeof pod>[0] = {}) {
  const p = pod(over);
  expect(h.event("ADDED", p).outcome).toBe("applied");
  await h.converge(p.metadata.uid);
  const rec = h.pod(p.metadata.uid)!;
  expect(rec.machineState).toBe("started");
  h.fly.calls.length = 0;
  return { p, uid: p.metadata.uid, machineId: rec.machineId! };
}

const phase = (h: Harness, uid: string) => h.pod(uid)?.status?.phase;

describe("pod lifecycle, one row per case", () => {
  it("create: ADDED makes one machine with the intent stored first; the wait's answer makes it Running", () =>
    withCluster(async (h) => {
      const p = pod();
      h.event("ADDED", p);
      await h.converge(p.metadata.uid);
      expect(h.fly.ops).toEqual(["create", "wait"]);
      expect(h.fly.machines.size).toBe(1);
      const rec = h.pod(p.metadata.uid)!;
      expect(rec).toMatchObject({ machineState: "started", problem: null, phase: "Running" });
      expect(rec.appliedHash).toBe(rec.configHash);
      expect(rec.createIntentAt).not.toBeNull();
    }));

  it("create of a pod with a probe: the wait's started is not enough, the machine is read for its checks", () =>
    withCluster(async (h) => {
      const p = pod({ spec: { containers: [{ name: "web", image: "nginx:1.27", readinessProbe: { httpGet: { path: "/", port: 80 } } }] } });
      h.event("ADDED", p);
      await h.converge(p.metadata.uid);
      expect(h.fly.ops.slice(0, 3)).toEqual(["create", "wait", "get"]);
      expect(h.pod(p.metadata.uid)?.lastMachine).not.toHaveProperty("config");
    }));

  it("a create answered 408 that made the machine: found by metadata and adopted, never a second one", () =>
    withCluster(async (h) => {
      h.fly.create408 = 1;
      const p = pod();
      h.event("ADDED", p);
      await h.converge(p.metadata.uid);
      expect(h.fly.ops).toEqual(["create", "list", "wait"]);
      expect(h.fly.machines.size).toBe(1);
      const rec = h.pod(p.metadata.uid)!;
      expect(rec).toMatchObject({ machineId: [...h.fly.machines.keys()][0], machineState: "started", problem: null });
      expect(rec.appliedHash).toBe(rec.configHash);
      expect(h.decisions.map((d) => d.action)).toEqual(["retry", "adopt"]);
    }));

  it("a create answered 408 whose machine lists only later (Fly's lists lag): looked up once the list has settled, never a second one", () =>
    withCluster(async (h) => {
      h.fly.create408 = 1;
      h.fly.listLagMs = 1_500;
      const p = pod();
      h.event("ADDED", p);
      await h.converge(p.metadata.uid);
      expect(h.fly.machines.size).toBe(1);
      expect(h.fly.ops.filter((op) => op === "create")).toHaveLength(1);
      expect(h.pod(p.metadata.uid)).toMatchObject({ machineId: [...h.fly.machines.keys()][0], machineState: "started" });
    }));

  it("update with current_version: a stale version answers 409, the machine is read again, then updated at its version", () =>
    withCluster(async (h) => {
      const { p, uid, machineId } = await running(h);
      h.fly.tamper(machineId, () => {}); // a new version behind our back, same config
      h.event("MODIFIED", { ...p, metadata: { ...p.metadata, resourceVersion: "101" }, spec: { ...p.spec, containers: [{ ...p.spec.containers[0], image: "nginx:1.28" }] } });
      await h.converge(uid);
      expect(h.fly.ops).toEqual(["update", "get", "update"]);
      const [stale, fresh] = h.fly.calls.filter((c) => c.op === "update").map((c) => (c.args as { current_version?: string }).current_version);
      expect(stale).not.toBe(fresh);
      expect(h.fly.machines.get(machineId)!.config!.image).toBe("nginx:1.28");
      const rec = h.pod(uid)!;
      expect(rec.appliedHash).toBe(rec.configHash);
    }));

  it("stop with grace: deletionTimestamp stops with SIGTERM and the pod's grace, then destroys until confirmed, then tombstones", () =>
    withCluster(async (h) => {
      const { p, uid, machineId } = await running(h);
      h.event("MODIFIED", { ...p, metadata: { ...p.metadata, resourceVersion: "101", deletionTimestamp: "2026-01-01T00:00:00Z", deletionGracePeriodSeconds: 12 } });
      await h.converge(uid);
      expect(h.fly.ops).toEqual(["stop", "wait", "get", "delete", "get", "get"]);
      expect(h.fly.calls[0]!.args).toEqual({ signal: "SIGTERM", timeout: "12s" });
      expect(h.fly.machines.get(machineId)!.state).toBe("destroyed");
      expect(h.pod(uid)).toBeUndefined();
      expect(h.state.pods.isTombstoned(uid)).toBe(true);
      expect(h.event("ADDED", p).outcome).toBe("unchanged");
    }));

  it("destroy until confirmed: DELETED destroys at once and reads until Fly says destroyed", () =>
    withCluster(async (h) => {
      const { p, uid } = await running(h);
      h.event("DELETED", p);
      await h.converge(uid);
      expect(h.fly.ops).toEqual(["delete", "get", "get"]);
      expect(h.pod(uid)).toBeUndefined();
      const page = await h.state.feed.read(1, 0, () => []); // after the first entry: the rest, in order
      expect(page.pods.at(-1)).toMatchObject({ uid, gone: true });
    }));

  it.each([
    ["Always", 0, true],
    ["Always", 1, true],
    ["OnFailure", 0, false],
    ["OnFailure", 1, true],
    ["Never", 1, false],
  ] as const)("restart per policy: %s after exit %i starts the machine again: %s", (restartPolicy, code, restarts) =>
    withCluster(async (h) => {
      const { uid, machineId } = await running(h, { spec: { restartPolicy } });
      h.fly.exit(machineId, code);
      const counts = await h.pass();
      expect(counts.updated).toBe(restarts ? 1 : 0);
      expect(h.fly.ops.includes("start")).toBe(restarts);
      expect(phase(h, uid)).toBe(restarts ? "Running" : code === 0 ? "Succeeded" : "Failed");
    }));

  it("drift: a config changed behind our back is put back; an unchanged version is never compared", () =>
    withCluster(async (h) => {
      const { uid, machineId } = await running(h);
      const want = h.fly.machines.get(machineId)!.config!.image;
      expect(await h.pass()).toMatchObject({ updated: 0, unchanged: 1 });
      expect(h.fly.ops).toEqual(["list"]);
      h.fly.tamper(machineId, (c) => void (c.image = "evil:latest"));
      expect(await h.pass()).toMatchObject({ updated: 1 });
      expect(h.fly.machines.get(machineId)!.config!.image).toBe(want);
      expect(h.pod(uid)!.appliedHash).toBe(h.pod(uid)!.configHash);
    }));

  it("a machine destroyed behind our back: read again, forgotten, and a new one made", () =>
    withCluster(async (h) => {
      const { uid, machineId } = await running(h);
      h.fly.vanish(machineId);
      expect(await h.pass()).toMatchObject({ created: 1 });
      expect(h.fly.ops).toEqual(["list", "get", "create", "wait"]);
      const rec = h.pod(uid)!;
      expect(rec.machineId).not.toBe(machineId);
      expect(rec.machineState).toBe("started");
    }));

  it("orphan: a machine of this cluster no pod owns goes after two passes; one without the cluster's metadata never", () =>
    withCluster(async (h) => {
      const orphan = await h.fly.createMachine("fks-table", { config: { image: "nginx", metadata: { machinelet_cluster: "table", machinelet_pod_uid: "nobody" } } });
      const stranger = await h.fly.createMachine("fks-table", { config: { image: "nginx", metadata: { owner: "someone" } } });
      h.fly.calls.length = 0;
      expect(await h.pass()).toMatchObject({ orphansDestroyed: 0 });
      expect(h.fly.ops).toEqual(["list"]);
      expect(await h.pass()).toMatchObject({ orphansDestroyed: 1 });
      expect(h.fly.calls.filter((c) => c.op === "delete").map((c) => c.id)).toEqual([orphan.id]);
      expect(h.fly.machines.get(stranger.id)!.state).toBe("created");
    }));

  it("orphan: a pass that failed between two sightings does not start the count again", () =>
    withCluster(async (h) => {
      const orphan = await h.fly.createMachine("fks-table", { config: { image: "nginx", metadata: { machinelet_cluster: "table", machinelet_pod_uid: "nobody" } } });
      expect(await h.pass()).toMatchObject({ orphansDestroyed: 0 });
      h.fly.list429 = 1;
      await expect(h.pass()).rejects.toMatchObject({ kind: "rate_limited" });
      expect(await h.pass()).toMatchObject({ orphansDestroyed: 1 });
      expect(h.fly.calls.filter((c) => c.op === "delete").map((c) => c.id)).toEqual([orphan.id]);
    }));

  it("tombstone: a UID deleted before it was seen never gets a machine, and one carrying it goes on the first pass", () =>
    withCluster(async (h) => {
      const p = pod();
      expect(h.event("DELETED", p).outcome).toBe("applied");
      expect(h.event("ADDED", p)).toMatchObject({ outcome: "unchanged" });
      expect(h.pod(p.metadata.uid)).toBeUndefined();
      const late = await h.fly.createMachine("fks-table", { config: { image: "nginx", metadata: { machinelet_cluster: "table", machinelet_pod_uid: p.metadata.uid } } });
      h.fly.calls.length = 0;
      expect(await h.pass()).toMatchObject({ orphansDestroyed: 1 });
      expect(h.fly.calls.filter((c) => c.op === "delete").map((c) => c.id)).toEqual([late.id]);
    }));

  it("a pod waiting for a ConfigMap gets no machine, even when a pass schedules it; it starts once the ConfigMap arrives", () =>
    withCluster(async (h) => {
      const p = pod({ spec: { containers: [{ name: "web", image: "nginx:1.27", env: [{ name: "LEVEL", valueFrom: { configMapKeyRef: { name: "settings", key: "level" } } }] }] } });
      h.event("ADDED", p);
      await h.pass();
      expect(h.fly.ops).toEqual(["list"]);
      expect(h.pod(p.metadata.uid)).toMatchObject({ machineId: null, problem: { reason: "CreateContainerConfigError", terminal: false } });
      h.event("ADDED", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings", namespace: "default", uid: crypto.randomUUID(), resourceVersion: "5" }, data: { level: "info" } });
      await h.converge(p.metadata.uid);
      expect(h.pod(p.metadata.uid)).toMatchObject({ machineState: "started", problem: null });
    }));

  it("a ConfigMap deleted under a running pod: the machine keeps what it was given, never an update to nothing", () =>
    withCluster(async (h) => {
      const settings = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings", namespace: "default", uid: crypto.randomUUID(), resourceVersion: "5" }, data: { level: "info" } };
      h.event("ADDED", settings);
      const { uid, machineId } = await running(h, { spec: { containers: [{ name: "web", image: "nginx:1.27", env: [{ name: "LEVEL", valueFrom: { configMapKeyRef: { name: "settings", key: "level" } } }] }] } });
      const version = h.fly.machines.get(machineId)!.version;
      h.event("DELETED", { ...settings, metadata: { ...settings.metadata, resourceVersion: "6" } });
      expect(await h.pass()).toMatchObject({ updated: 0 });
      expect(h.fly.ops).toEqual(["list"]);
      expect(h.fly.machines.get(machineId)!.version).toBe(version);
      expect(h.pod(uid)).toMatchObject({ problem: null, phase: "Running" });
    }));
});
