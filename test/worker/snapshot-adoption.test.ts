/**
 * A snapshot after a loss of state (the relay's full lists, the object's store empty, the pods'
 * machines still running): each pod is admitted already bound to its machine, found by metadata
 * in the listing taken just before. Nothing is created, no step runs for a settled pod, and each
 * pod's first status is Running: a Pending on the way would flip its Ready condition in Kubernetes.
 */
import { describe, expect, it } from "vitest";
import { isMachinesApiError } from "../../src/machines/errors";
import { feedPageSchema, reconcileCountsSchema } from "../../src/shared/contract";
import { parseK8sObject } from "../../src/shared/k8s";
import { translatePod } from "../../src/worker/cluster/pod-translation";
import { emulatorUrl, eventually, fly, newCluster, pod, signedFetch } from "./helpers";

const SNAPSHOT = { services: [], secrets: [], configMaps: [], persistentVolumeClaims: [] };

async function calls(): Promise<Record<string, number>> {
  const stats = (await (await fetch(`${emulatorUrl}/_emulator/stats`)).json()) as { calls: Record<string, Record<string, number>> };
  return Object.fromEntries(Object.entries(stats.calls).map(([route, codes]) => [route, Object.values(codes).reduce((a, b) => a + b, 0)]));
}

describe("a snapshot after a loss of state", () => {
  it("admits each pod bound to its machine: Running from its first status, no create, no step", { timeout: 30_000 }, async () => {
    const { cluster, app } = newCluster("sadopt");
    await fly.createApp(app, "test-org");
    // Few: the emulator holds direct creates to Fly's create limit too (1/s per app, burst 3).
    const pods = Array.from({ length: 6 }, () => pod());
    const machineOf = new Map<string, string>();
    for (const p of pods) {
      const parsed = parseK8sObject("Pod", p);
      if (!parsed.ok) throw new Error(parsed.message);
      const t = translatePod(parsed.object, { cluster });
      const m = await eventually("a create within the rate limit", () => fly.createMachine(app, { name: t.machineName, region: t.region ?? undefined, config: t.config! }).catch((e: unknown) => {
          if (isMachinesApiError(e, "rate_limited")) return undefined;
          throw e;
        }));
      machineOf.set(p.metadata.uid, m.id);
    }
    // One pod's machine is gone: it is admitted without one, and created.
    const lost = pods[0]!;
    await fly.deleteMachine(app, machineOf.get(lost.metadata.uid)!, { force: true });
    for (const id of machineOf.values()) if (id !== machineOf.get(lost.metadata.uid)) await fly.waitMachine(app, id, { states: ["started"], timeoutS: 10 });
    const before = await calls();

    // The relay's long poll, open as the snapshot arrives: the first statuses it gets are the admitted pods'.
    const firstPage = signedFetch(`/v1/clusters/${cluster}/status?after=0&wait=10`).then(async (r) => feedPageSchema.parse(await r.json()));
    const res = await signedFetch(`/v1/clusters/${cluster}/reconcile`, { body: { snapshot: { ...SNAPSHOT, pods } } });
    expect(res.status).toBe(200);
    expect(reconcileCountsSchema.parse(await res.json())).toMatchObject({ updated: pods.length - 1, destroyed: 0, orphansDestroyed: 0 });

    // Never Pending on the way (a Pending status would flip each pod's Ready condition in Kubernetes).
    const first = await firstPage;
    for (const p of pods.slice(1)) {
      const status = first.pods.find((e) => e.uid === p.metadata.uid)?.status as { phase?: string; containerStatuses?: Array<{ containerID?: string }> } | undefined;
      expect(status?.phase).toBe("Running");
      expect(status?.containerStatuses?.[0]?.containerID).toBe(`fly://${machineOf.get(p.metadata.uid)}`);
    }
    const after = await calls();
    const delta = (route: string) => (after[route] ?? 0) - (before[route] ?? 0);
    // The only create is the lost pod's; the only reads are the listing's and that pod's own step.
    expect(delta("POST /v1/apps/{app_name}/machines")).toBe(1);
    expect(delta("GET /v1/apps/{app_name}/machines/{machine_id}")).toBeLessThanOrEqual(1);
    expect(delta("GET /v1/apps/{app_name}/machines/{machine_id}/wait")).toBeLessThanOrEqual(1);
  });
});
