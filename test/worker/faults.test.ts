import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
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
