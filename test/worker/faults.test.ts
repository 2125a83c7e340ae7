import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { runSchedule } from "./fault-schedule";
import { allMachines, emulatorConfig, emulatorUrl, eventually, getPod, newCluster, pod, podPhase, postEvents, signedFetch } from "./helpers";

const CREATE = "POST /v1/apps/{app_name}/machines";

async function createStats(): Promise<Record<string, number>> {
  const stats = (await (await fetch(`${emulatorUrl}/_emulator/stats`)).json()) as { calls: Record<string, Record<string, number>> };
  return stats.calls[CREATE] ?? {};
}

describe("crash safety and retries", () => {
  it("a create that answers 408 after making the machine leaves exactly one machine", async () => {
    const { cluster, app } = newCluster("f408");
    await emulatorConfig({ faults: { apps: [app], create408: 1 } });
    const p = pod();
    await postEvents(cluster, [{ type: "ADDED", object: p }]);
    const view = await podPhase(cluster, p.metadata.uid, "Running");
    const machines = await allMachines(app);
    expect(machines).toHaveLength(1);
    expect(view.machineId).toBe(machines[0]!.id);
  });

  it("retries a create that fails with 5xx, with backoff, and still makes one machine", async () => {
    const { cluster, app } = newCluster("f503");
    await emulatorConfig({ faults: { apps: [app], failNext: { [CREATE]: 2 } } });
    const p = pod();
    await postEvents(cluster, [{ type: "ADDED", object: p }]);
    const pending = await eventually("retry reported", async () => {
      const v = await getPod(cluster, p.metadata.uid);
      return v?.status.reason === "ProviderRetrying" ? v : undefined;
    });
    expect(pending.status.phase).toBe("Pending");
    expect(pending.status.message).toMatch(/503/);
    await podPhase(cluster, p.metadata.uid, "Running");
    expect(await allMachines(app)).toHaveLength(1);
  });

  it("a config Fly refuses ends the pod Failed with Fly's reason instead of Pending forever", async () => {
    const { cluster, app } = newCluster("fbad");
    const p = pod({ metadata: { annotations: { "fly.io/region": "zzz" } } });
    await postEvents(cluster, [{ type: "ADDED", object: p }]);
    const view = await podPhase(cluster, p.metadata.uid, "Failed");
    expect(view.status.reason).toBe("ProviderFailed");
    expect(view.status.message).toMatch(/invalid region/);
    expect(await allMachines(app)).toHaveLength(0);
  });

  it("a pod no machine can run is Failed at once with the field named, and no API call is made", async () => {
    const { cluster, app } = newCluster("fbig");
    const p = pod({ spec: { containers: [{ name: "big", image: "x", resources: { limits: { memory: "1Ti" } } }] } });
    const [r] = await postEvents(cluster, [{ type: "ADDED", object: p }]);
    expect(r!.outcome).toBe("applied");
    expect(r!.message).toMatch(/cannot run as a machine: .*resources/);
    const view = await podPhase(cluster, p.metadata.uid, "Failed");
    expect(view.status.message).toMatch(/resources/);
    expect(await allMachines(app)).toHaveLength(0);
  });
});

describe("when the cluster's app cannot be used", () => {
  it("pods say why they wait, reconcile answers 503, and everything converges once the API recovers", async () => {
    const { cluster, app } = newCluster("fapp");
    await emulatorConfig({ faults: { apps: [app], failNext: { "GET /v1/apps/{app_name}": 1000 } } });
    const p = pod();
    await postEvents(cluster, [{ type: "ADDED", object: p }]);
    const waiting = await eventually("pod reports the app problem", async () => {
      const v = await getPod(cluster, p.metadata.uid);
      return v?.status.reason === "ProviderAppUnavailable" ? v : undefined;
    });
    expect(waiting.status.phase).toBe("Pending");
    expect(waiting.status.message).toMatch(/getApp: 503/);
    const res = await signedFetch(`/v1/clusters/${cluster}/reconcile`, { body: {} });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: string }).error).toMatch(/cannot converge now/);

    await emulatorConfig({ faults: { apps: [], failNext: { "GET /v1/apps/{app_name}": 0 } } });
    await podPhase(cluster, p.metadata.uid, "Running");
    expect(await allMachines(app)).toHaveLength(1);
  }, 20_000);
});

describe("the alarm", () => {
  it("resumes due work after the object is evicted: the retry armed for an unusable app converges the pod", async () => {
    const { cluster, app } = newCluster("falarm");
    await emulatorConfig({ faults: { apps: [app], failNext: { "GET /v1/apps/{app_name}": 1000 } } });
    const p = pod();
    await postEvents(cluster, [{ type: "ADDED", object: p }]);
    await eventually("pod reports the app problem", async () => (await getPod(cluster, p.metadata.uid))?.status.reason === "ProviderAppUnavailable");
    await emulatorConfig({ faults: { apps: [], failNext: { "GET /v1/apps/{app_name}": 0 } } });

    const stub = env.CLUSTER.getByName(cluster);
    await evictDurableObject(stub);
    // Nothing in memory survives eviction: only the alarm the failed check armed brings the work back.
    expect(await runInDurableObject(stub, (_object, state) => state.storage.getAlarm())).not.toBeNull();
    await runDurableObjectAlarm(stub);
    await podPhase(cluster, p.metadata.uid, "Running");
    expect(await allMachines(app)).toHaveLength(1);
  });
});

describe("the alarm after a pass", () => {
  it("a pass that leaves nothing due wakes nothing at once: the next alarm is the next pass's", async () => {
    const { cluster } = newCluster("fidle");
    expect((await signedFetch(`/v1/clusters/${cluster}/reconcile`, { body: {} })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300)); // an alarm set for "now" would have fired by then
    const stub = env.CLUSTER.getByName(cluster);
    const { alarm, alarms } = await runInDurableObject(stub, async (object, state) => ({
      alarm: await state.storage.getAlarm(),
      alarms: object.opsMetrics(cluster).counters.find((c) => c.name === "machinelet_alarms_total")?.value ?? 0,
    }));
    expect(alarms).toBe(0);
    expect(alarm! - Date.now()).toBeGreaterThan(10_000); // RECONCILE_INTERVAL_S: 20 s here
  });
});

describe("readiness follows Fly checks", () => {
  it("a pod is Running but not Ready while its readiness check fails, and Ready once it passes", async () => {
    const { cluster } = newCluster("chk");
    await emulatorConfig({ checkStatus: "critical" });
    try {
      const p = pod({ spec: { containers: [{ name: "web", image: "nginx", ports: [{ containerPort: 80 }], readinessProbe: { httpGet: { path: "/healthz", port: 80 } } }] } });
      await postEvents(cluster, [{ type: "ADDED", object: p }]);
      const running = await podPhase(cluster, p.metadata.uid, "Running");
      expect(running.status.conditions?.find((c) => c.type === "Ready")?.status).toBe("False");
      await emulatorConfig({ checkStatus: "passing" });
      await eventually("Ready", async () => (await getPod(cluster, p.metadata.uid))?.status.conditions?.find((c) => c.type === "Ready")?.status === "True");
    } finally {
      await emulatorConfig({ checkStatus: "passing" });
    }
  });
});

describe("rate budgets", () => {
  it("paces a burst of pods within Fly's create limit (burst 3, then 1/s per app) without a single 429", async () => {
    const { cluster, app } = newCluster("burst");
    const before = (await createStats())["429"] ?? 0;
    const pods = Array.from({ length: 7 }, () => pod());
    await postEvents(cluster, pods.map((p) => ({ type: "ADDED", object: p })));
    const waiting = await eventually("a pod reports it waits for budget", async () => {
      for (const p of pods) {
        const v = await getPod(cluster, p.metadata.uid);
        if (v?.status.reason === "RateBudget") return v;
      }
      return undefined;
    });
    expect(waiting.status.message).toMatch(/rate budget \(create on app /);
    for (const p of pods) await podPhase(cluster, p.metadata.uid, "Running");
    const machines = await allMachines(app);
    expect(machines).toHaveLength(7);
    const created = machines.map((m) => (m as unknown as { createdAt: number }).createdAt).sort((a, b) => a - b);
    // 3 at once, then one per second: the 7th no sooner than ~4 s after the first.
    expect(created[6]! - created[0]!).toBeGreaterThanOrEqual(3_500);
    expect((await createStats())["429"] ?? 0).toBe(before);
  }, 30_000);
});

describe("create slots", () => {
  it("a pod deleted before its machine was created gives its slot back: the next pod does not wait behind it", async () => {
    const { cluster } = newCluster("slots");
    const gone = Array.from({ length: 40 }, () => pod());
    await postEvents(cluster, gone.map((p) => ({ type: "ADDED", object: p })));
    await eventually("the last pods queue for create slots", async () => (await getPod(cluster, gone[39]!.metadata.uid))?.status.reason === "RateBudget");
    await postEvents(cluster, gone.map((p) => ({ type: "DELETED", object: p })));
    await eventually("the deleted pods that never had a machine are forgotten", async () => (await getPod(cluster, gone[39]!.metadata.uid)) === undefined);

    const next = pod();
    await postEvents(cluster, [{ type: "ADDED", object: next }]);
    const waits: number[] = [];
    await eventually("the next pod runs", async () => {
      const v = await getPod(cluster, next.metadata.uid);
      const m = v?.status.reason === "RateBudget" ? /waiting ([\d.]+) s/.exec(v.status.message ?? "") : null;
      if (m) waits.push(Number(m[1]));
      return v?.status.phase === "Running";
    });
    // Its slot comes after the few creates actually made (burst 3, 1/s), not after 40 abandoned ones.
    expect(Math.max(0, ...waits)).toBeLessThanOrEqual(5);
  }, 30_000);
});

describe("when listing machines fails", () => {
  it("reconcile answers 503 with the reason, keeps the snapshot's desired state, and finishes the pass later", async () => {
    const { cluster, app } = newCluster("flist");
    const kept = pod();
    await postEvents(cluster, [{ type: "ADDED", object: kept }]);
    await podPhase(cluster, kept.metadata.uid, "Running");
    const LIST = "GET /v1/apps/{app_name}/machines";
    await emulatorConfig({ faults: { apps: [app], failNext: { [LIST]: 1000 } } });
    try {
      const added = pod();
      const snapshot = { pods: [kept, added], services: [], secrets: [], configMaps: [], persistentVolumeClaims: [] };
      const res = await signedFetch(`/v1/clusters/${cluster}/reconcile`, { body: { snapshot } });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: string }).error).toMatch(/^cannot converge now: .*503/);
      expect(await getPod(cluster, added.metadata.uid)).toBeDefined();
      expect((await getPod(cluster, kept.metadata.uid))?.status.phase).toBe("Running");
    } finally {
      await emulatorConfig({ faults: { apps: [], failNext: { [LIST]: 0 } } });
    }
    await podPhase(cluster, kept.metadata.uid, "Running");
    const res = await signedFetch(`/v1/clusters/${cluster}/reconcile`, { body: {} });
    expect(res.status).toBe(200);
    await eventually("a machine for the snapshot's new pod", async () => (await allMachines(app)).length === 2);
  }, 20_000);
});

describe("a failed boot", () => {
  it("under restartPolicy Always is a restart in CrashLoopBackOff, never a terminal phase", async () => {
    const { cluster, app } = newCluster("fboot");
    await emulatorConfig({ faults: { apps: [app], failBoots: 1 } });
    try {
      const p = pod();
      await postEvents(cluster, [{ type: "ADDED", object: p }]);
      const phases = new Set<string>();
      const crashLoop = await eventually("CrashLoopBackOff or Running", async () => {
        const v = await getPod(cluster, p.metadata.uid);
        if (v?.status.phase) phases.add(v.status.phase);
        return v?.status.phase === "Running" && v.status.containerStatuses?.[0] ? v : undefined;
      });
      expect(crashLoop.status.phase).toBe("Running");
      const running = await eventually("the machine boots again", async () => {
        const v = await getPod(cluster, p.metadata.uid);
        if (v?.status.phase) phases.add(v.status.phase);
        return (v?.status.containerStatuses?.[0]?.state as { running?: unknown } | undefined)?.running ? v : undefined;
      });
      expect(running.status.phase).toBe("Running");
      expect([...phases]).not.toContain("Failed");
    } finally {
      await emulatorConfig({ faults: { apps: [], failBoots: 0 } });
    }
  }, 20_000);
});

describe("randomized faults", () => {
  const route = (r: string) => `${r.split(" ")[0]} /v1/apps/{app_name}/machines${r.split(" ")[1] ?? ""}`;
  const FAULTY = ["POST", "GET", "GET /{machine_id}", "POST /{machine_id}", "POST /{machine_id}/start", "POST /{machine_id}/stop", "DELETE /{machine_id}", "GET /{machine_id}/wait"].map(route);

  it("after a seeded schedule of deliveries and faults, once faults stop and one reconcile: one machine per live pod, with its image, Running; none for a deleted pod", async () => {
    const seed = Number((env as { FUZZ_SEED?: string }).FUZZ_SEED || Date.now() % 2 ** 31);
    console.log(`randomized faults seed: ${seed} (FUZZ_SEED=${seed} npm test to replay)`);
    const { cluster, app } = newCluster("rand");
    await postEvents(cluster, []);
    await emulatorConfig({ seed, faults: { apps: [app], errorStatus: 503, errorRate: Object.fromEntries(FAULTY.map((r) => [r, 0.2])), create408: 2 } });
    let outcome: Awaited<ReturnType<typeof runSchedule>>;
    try {
      outcome = await runSchedule({ cluster, app, seed, steps: 40 });
    } finally {
      await emulatorConfig({ faults: { apps: [], errorRate: {}, create408: 0 } });
    }
    const { live, deleted, log } = outcome;
    const state = async () => {
      const machines = (await allMachines(app)).filter((m) => m.state !== "destroyed" && m.state !== "destroying");
      const byUid = new Map<string, typeof machines>();
      for (const m of machines) {
        const uid = m.config?.metadata?.machinelet_pod_uid ?? "";
        byUid.set(uid, [...(byUid.get(uid) ?? []), m]);
      }
      return { machines, byUid };
    };
    try {
      await eventually("one reconcile pass", async () => (await signedFetch(`/v1/clusters/${cluster}/reconcile`, { body: {} })).status === 200, 30_000);
      await eventually(
        "convergence",
        async () => {
          const { byUid } = await state();
          for (const [uid, p] of live) {
            const ms = byUid.get(uid) ?? [];
            if (ms.length !== 1 || ms[0]!.config?.image !== p.spec.containers[0]!.image) return false;
            if ((await getPod(cluster, uid))?.status.phase !== "Running") return false;
          }
          return [...deleted].every((uid) => !byUid.has(uid)) && [...byUid.values()].every((ms) => ms.length === 1);
        },
        60_000,
      );
    } catch (e) {
      const { machines } = await state();
      console.log(`seed ${seed}; schedule:\n  ${log.join("\n  ")}\nmachines: ${JSON.stringify(machines.map((m) => [m.id, m.state, m.config?.metadata?.machinelet_pod_uid?.slice(0, 8), m.config?.image]))}`);
      throw e;
    }
    expect(live.size + deleted.size).toBeGreaterThan(0);
  }, 120_000);
});
