import { env } from "cloudflare:workers";
import { evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { feedPageSchema, reconcileCountsSchema, type FeedPage, type ReconcileCounts } from "../../src/shared/contract";
import { allMachines, emulatorUrl, eventually, fly, getPod, newCluster, pod, podPhase, postEvents, signedFetch } from "./helpers";


async function reconcile(cluster: string, body: unknown = {}): Promise<ReconcileCounts> {
  const res = await signedFetch(`/v1/clusters/${cluster}/reconcile`, { body });
  expect(res.status, await res.clone().text()).toBe(200);
  return reconcileCountsSchema.parse(await res.json());
}

async function runningPod(cluster: string, over: Parameters<typeof pod>[0] = {}) {
  const p = pod(over);
  await postEvents(cluster, [{ type: "ADDED", object: p }]);
  const view = await podPhase(cluster, p.metadata.uid, "Running");
  return { p, machineId: view.machineId! };
}

async function setEmulatorConfig(patch: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${emulatorUrl}/_emulator/config`, { method: "PUT", body: JSON.stringify(patch), headers: { "content-type": "application/json" } });
  expect(res.status, await res.clone().text()).toBe(200);
}

async function emulatorExit(app: string, id: string, exitCode: number): Promise<void> {
  const res = await fetch(`${emulatorUrl}/_emulator/apps/${app}/machines/${id}/exit`, { method: "POST", body: JSON.stringify({ exitCode }), headers: { "content-type": "application/json" } });
  expect(res.status, await res.clone().text()).toBe(200);
}

describe("reconcile", () => {
  it("destroys an orphan with this cluster's metadata after two passes and never touches a machine without it", async () => {
    const { cluster, app } = newCluster();
    await fly.createApp(app, "test-org");
    const orphan = await fly.createMachine(app, { config: { image: "nginx", metadata: { machinelet_cluster: cluster, machinelet_pod_uid: crypto.randomUUID() } } });
    const stranger = await fly.createMachine(app, { config: { image: "nginx", metadata: { owner: "someone-else" } } });
    const otherCluster = await fly.createMachine(app, { config: { image: "nginx", metadata: { machinelet_cluster: `${cluster}-x`, machinelet_pod_uid: "u" } } });

    expect(await reconcile(cluster)).toMatchObject({ orphansDestroyed: 0 });
    expect((await fly.getMachine(app, orphan.id)).state).not.toBe("destroyed");
    expect(await reconcile(cluster)).toMatchObject({ orphansDestroyed: 1 });
    await eventually("orphan destroyed", async () => (await fly.getMachine(app, orphan.id).catch(() => ({ state: "destroyed" }))).state === "destroyed");
    expect((await fly.getMachine(app, stranger.id)).state).not.toBe("destroyed");
    expect((await fly.getMachine(app, otherCluster.id)).state).not.toBe("destroyed");
  });

  it("an idle cluster costs list calls and no mutation", async () => {
    const { cluster, app } = newCluster();
    const { machineId } = await runningPod(cluster);
    const before = (await fly.getMachine(app, machineId)).version;
    const counts = await reconcile(cluster);
    expect(counts).toEqual({ created: 0, updated: 0, destroyed: 0, orphansDestroyed: 0, unchanged: 1 });
    expect((await fly.getMachine(app, machineId)).version).toBe(before);
  });

  it("recreates a machine destroyed behind its back", async () => {
    const { cluster, app } = newCluster();
    const { p, machineId } = await runningPod(cluster);
    await fly.deleteMachine(app, machineId, { force: true });
    expect(await reconcile(cluster)).toMatchObject({ created: 1 });
    const view = await eventually("new machine running", async () => {
      const v = await getPod(cluster, p.metadata.uid);
      return v?.machineId && v.machineId !== machineId && v.status.phase === "Running" ? v : undefined;
    });
    const live = (await allMachines(app)).filter((m) => m.state !== "destroyed");
    expect(live.map((m) => m.id)).toEqual([view.machineId]);
  });

  it("restarts a machine stopped behind its back when the pod's restartPolicy is Always", async () => {
    const { cluster, app } = newCluster();
    const { p, machineId } = await runningPod(cluster);
    await fly.stopMachine(app, machineId);
    await fly.waitMachine(app, machineId, { states: ["stopped"], timeoutS: 10 });
    // The exit watch (every 2 s) may see the stop first and start the machine before this pass does.
    const { updated } = await reconcile(cluster);
    expect(updated).toBeLessThanOrEqual(1);
    await eventually("machine started again", async () => (await fly.getMachine(app, machineId)).state === "started");
    expect(await reconcile(cluster)).toMatchObject({ updated: 0, unchanged: 1 });
    await podPhase(cluster, p.metadata.uid, "Running");
  });

  it("puts back a config changed behind its back", async () => {
    const { cluster, app } = newCluster();
    const { machineId } = await runningPod(cluster, { image: "nginx:1.27" });
    const m = await fly.getMachine(app, machineId);
    await fly.updateMachine(app, machineId, { config: { ...m.config!, image: "evil:latest" } });
    await fly.waitMachine(app, machineId, { states: ["started"], timeoutS: 10 });
    // This pass, or the object's own first pass if it listed after the tamper, puts the config back.
    await reconcile(cluster);
    await eventually("config restored", async () => (await fly.getMachine(app, machineId)).config?.image === "nginx:1.27");
  });

  it.each([
    [0, "Succeeded"],
    [3, "Failed"],
  ])("a machine that exits %i under restartPolicy Never turns the pod %s with the exit code", async (exitCode, phase) => {
    const { cluster, app } = newCluster();
    const { p, machineId } = await runningPod(cluster, { spec: { restartPolicy: "Never" } });
    await emulatorExit(app, machineId, exitCode);
    await reconcile(cluster);
    const view = await podPhase(cluster, p.metadata.uid, phase);
    const terminated = (view.status.containerStatuses?.[0]?.state as { terminated?: { exitCode?: number } } | undefined)?.terminated;
    expect(terminated?.exitCode).toBe(exitCode);
    expect((await fly.getMachine(app, machineId)).state).toBe("stopped");
  });

  describe.each(["exit_event", "MonitorEvent"] as const)("an exit reported in the %s form", (form) => {
    async function withExitForm(run: () => Promise<void>): Promise<void> {
      await setEmulatorConfig({ exitEventForm: form });
      try {
        await run();
      } finally {
        await setEmulatorConfig({ exitEventForm: "exit_event" });
      }
    }

    it("exit 0 under OnFailure: the pod is Succeeded with exit code 0 and the machine is not started again", () =>
      withExitForm(async () => {
        const { cluster, app } = newCluster();
        const { p, machineId } = await runningPod(cluster, { spec: { restartPolicy: "OnFailure" } });
        await emulatorExit(app, machineId, 0);
        await reconcile(cluster);
        const view = await podPhase(cluster, p.metadata.uid, "Succeeded");
        expect((view.status.containerStatuses?.[0]?.state as { terminated?: { exitCode?: number } }).terminated?.exitCode).toBe(0);
        expect(await reconcile(cluster)).toMatchObject({ updated: 0 });
        expect((await fly.getMachine(app, machineId)).state).toBe("stopped");
      }));

    it("exit 3 under OnFailure: the machine is started again and the pod shows the exit as its last state", () =>
      withExitForm(async () => {
        const { cluster, app } = newCluster();
        // flyd gives up at once (max_retries 0), so the restart is machinelet's, decided from the exit it read.
        const { p, machineId } = await runningPod(cluster, { spec: { restartPolicy: "OnFailure" } });
        await fly.updateMachine(app, machineId, { config: { ...(await fly.getMachine(app, machineId)).config!, restart: { policy: "no" } } });
        await eventually("updated machine started", async () => (await fly.getMachine(app, machineId)).state === "started");
        await emulatorExit(app, machineId, 3);
        await reconcile(cluster);
        await eventually("machine started again", async () => (await fly.getMachine(app, machineId)).state === "started");
        const view = await eventually("pod shows the exit", async () => {
          const v = await getPod(cluster, p.metadata.uid);
          const last = (v?.status.containerStatuses?.[0]?.lastState as { terminated?: { exitCode?: number } } | undefined)?.terminated;
          return last?.exitCode === 3 && v;
        });
        expect(view.status.phase).toBe("Running");
      }));
  });

  it("a snapshot without a pod destroys its machine and keeps the others", async () => {
    const { cluster, app } = newCluster();
    const keep = await runningPod(cluster);
    const drop = await runningPod(cluster);
    const counts = await reconcile(cluster, { snapshot: { pods: [keep.p], services: [], secrets: [], configMaps: [], persistentVolumeClaims: [] } });
    expect(counts.destroyed).toBe(1);
    await eventually("dropped pod's machine destroyed", async () => (await fly.getMachine(app, drop.machineId)).state === "destroyed");
    await eventually("dropped pod forgotten", async () => (await getPod(cluster, drop.p.metadata.uid)) === undefined);
    expect((await fly.getMachine(app, keep.machineId)).state).toBe("started");
  });

  it("rejects a snapshot missing one of its lists, changing nothing", async () => {
    const { cluster, app } = newCluster();
    const { machineId } = await runningPod(cluster);
    const res = await signedFetch(`/v1/clusters/${cluster}/reconcile`, { body: { snapshot: { pods: [], services: [], secrets: [], configMaps: [] } } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ path: "snapshot.persistentVolumeClaims" });
    expect((await fly.getMachine(app, machineId)).state).toBe("started");
  });
});

describe("status feed", () => {
  type Page = Omit<FeedPage, "pods"> & { pods: Array<Omit<FeedPage["pods"][number], "status"> & { status: { phase?: string } }> };
  // Parsed with the contract's schema: the relay reads the feed with the very same one.
  const read = async (cluster: string, after: string, wait = 0): Promise<Page> => {
    const res = await signedFetch(`/v1/clusters/${cluster}/status?after=${after}&wait=${wait}`);
    expect(res.status, await res.clone().text()).toBe(200);
    return feedPageSchema.parse(await res.json()) as Page;
  };

  it("resumes from a cursor after eviction with no change lost, and ends with gone", async () => {
    const { cluster } = newCluster();
    const first = await read(cluster, "0");
    expect(first.pods).toEqual([]);
    const { p } = await runningPod(cluster);
    const changes = await read(cluster, first.cursor);
    expect(changes.pods.map((x) => x.uid)).toContain(p.metadata.uid);
    expect(changes.pods.at(-1)!.status.phase).toBe("Running");

    await evictDurableObject(env.CLUSTER.getByName(cluster));
    const again = await read(cluster, first.cursor);
    expect(again).toEqual(changes);

    await postEvents(cluster, [{ type: "DELETED", object: p }]);
    const ended = await eventually("gone", async () => {
      const page = await read(cluster, changes.cursor, 5);
      return page.pods.some((x) => x.gone) ? page : undefined;
    });
    expect(ended.pods.find((x) => x.gone)!.uid).toBe(p.metadata.uid);
  });

  it("long-polls until a change arrives", async () => {
    const { cluster } = newCluster();
    const start = await read(cluster, "0");
    const waiting = read(cluster, start.cursor, 10);
    const p = pod();
    await postEvents(cluster, [{ type: "ADDED", object: p }]);
    const page = await waiting;
    expect(page.pods.map((x) => x.uid)).toContain(p.metadata.uid);
  });

  it.each([
    ["after=abc&wait=0", "after"],
    ["after=0&wait=31", "wait"],
  ])("rejects %s naming the parameter", async (q, param) => {
    const { cluster } = newCluster();
    const res = await signedFetch(`/v1/clusters/${cluster}/status?${q}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ path: param });
  });
});
