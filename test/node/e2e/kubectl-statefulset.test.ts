/**
 * A StatefulSet with volumeClaimTemplates through the real kubectl (the StatefulSet basics
 * tutorial's `web`): each ordinal's claim is Bound to a Fly Volume of its own, mounted where the
 * pod asks; a deleted pod comes back on the same volume in the same region; a scale-down keeps the
 * claim and its volume (as the StatefulSet controller keeps the claim), and once the claim is
 * deleted the volume sweep destroys the volume (reclaim Delete), which no machine holds by then,
 * reporting it free on one pass and destroying it on the next. Reconcile passes run every 2 s
 * (system.ts). Skipped, with a notice, where /usr/bin/kubectl is missing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HAS_KUBECTL, KUBECTL } from "../k8s-standin/kubectl-runner";
import { appsKit, manifest, waitFor, type Claim } from "./apps-kit";
import { startSystem, type System } from "./system";

if (!HAS_KUBECTL) console.warn(`NOTICE: skipping the kubectl apply of a StatefulSet with claims: ${KUBECTL} not found`);

let sys: System;
let kit: ReturnType<typeof appsKit>;
type FlyVolume = { id: string; state: string; region: string; size_gb: number; attached_machine_id?: string | null };

beforeAll(async () => {
  if (!HAS_KUBECTL) return;
  sys = await startSystem({ cluster: "setse2e" });
  kit = appsKit(sys);
  await waitFor("relay ready", async () => sys.relay.status().nodeReady && sys.relay.status().informersSynced);
}, 90_000);

afterAll(async () => {
  await sys?.stop();
});

const readyPod = (name: string) =>
  waitFor(`${name} Ready`, async () => {
    const got = await kit.kubectl("get", "pod", name, "-o", "json");
    const pod = got.code === 0 ? (JSON.parse(got.stdout) as { metadata: { uid: string; deletionTimestamp?: string }; status?: { conditions?: Array<{ type: string; status: string }> } }) : undefined;
    return !pod?.metadata.deletionTimestamp && pod?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") && pod.metadata.uid;
  });
const volume = async (id: string) => (await kit.flyApi<FlyVolume>(`/volumes/${id}`)).body;
/** The number of the last reconcile pass the status page shows. */
const lastPass = async () => Math.max(0, ...(await kit.view()).passes.map((p) => p.pass));

describe.skipIf(!HAS_KUBECTL)("kubectl apply of a StatefulSet with volumeClaimTemplates", () => {
  it("a volume per ordinal, kept across pod recreation; a scaled-down claim's volume destroyed only once the claim is deleted", async () => {
    const applied = await kit.kubectl("apply", "-f", manifest("statefulset-web.yaml"));
    expect(applied.code, applied.stderr).toBe(0);
    const uids = [await readyPod("web-0"), await readyPod("web-1")];

    const claims = await Promise.all(
      ["www-web-0", "www-web-1"].map((name) =>
        waitFor(`${name} Bound to its volume`, async () => {
          const c = await kit.json<Claim>("get", "pvc", name);
          return c.status.phase === "Bound" && !!c.spec.volumeName && c;
        }),
      ),
    );
    const volumeIds = claims.map((c) => c.spec.volumeName!);
    expect(new Set(volumeIds).size).toBe(2);
    for (const [i, uid] of uids.entries()) {
      const boot = await kit.boot(await kit.machineOf(uid));
      expect(boot.mounts).toEqual([{ path: "/usr/share/nginx/html", volume_id: volumeIds[i], size_gb: 1 }]);
      expect(claims[i]!.status).toEqual({ phase: "Bound", capacity: { storage: "1Gi" }, accessModes: ["ReadWriteOnce"] });
    }
    const before = await volume(volumeIds[0]!);

    // A deleted pod comes back (same name, new UID) on the same volume, in the same region.
    expect((await kit.kubectl("delete", "pod", "web-0")).code).toBe(0);
    const recreated = await waitFor("web-0 recreated", async () => {
      const uid = await readyPod("web-0");
      return uid !== uids[0] && uid;
    });
    const again = await kit.boot(await kit.machineOf(recreated));
    expect(again.mounts).toEqual([{ path: "/usr/share/nginx/html", volume_id: volumeIds[0], size_gb: 1 }]);
    const after = await volume(volumeIds[0]!);
    expect(after).toMatchObject({ state: "created", region: before.region, attached_machine_id: await kit.machineOf(recreated) });
    expect((await kit.machines()).filter((m) => m.state !== "destroyed" && m.config.metadata?.machinelet_pod_uid === uids[0])).toEqual([]);

    // Scaled down: web-1 goes, its claim stays (the controller keeps it), and so does its volume.
    expect((await kit.kubectl("scale", "statefulset", "web", "--replicas=1")).code).toBe(0);
    await waitFor("web-1 gone", async () => (await kit.kubectl("get", "pod", "web-1")).code !== 0);
    await waitFor("web-1's machine destroyed", async () => !(await kit.machines()).some((m) => m.state !== "destroyed" && m.config.metadata?.machinelet_pod_uid === uids[1]));
    const released = await waitFor("web-1's volume free", async () => {
      const v = await volume(volumeIds[1]!);
      return !v.attached_machine_id && v;
    });
    expect(released.state).toBe("created");
    const scaledAt = await lastPass();
    await waitFor("two more reconcile passes", async () => (await lastPass()) >= scaledAt + 2);
    expect((await volume(volumeIds[1]!)).state).toBe("created");
    expect((await kit.json<Claim>("get", "pvc", "www-web-1")).status.phase).toBe("Bound");

    // The claim deleted: the sweep reports the free volume on one pass and destroys it on the next.
    expect((await kit.kubectl("delete", "pvc", "www-web-1")).code).toBe(0);
    await waitFor("web-1's volume destroyed", async () => {
      const v = await kit.flyApi<FlyVolume>(`/volumes/${volumeIds[1]}`);
      return v.status === 404 || v.body.state === "pending_destroy" || v.body.state === "destroyed";
    });
    const decisions = (await kit.view()).decisions.filter((d) => d.reason.includes(volumeIds[1]!));
    const actions = decisions.map((d) => `${d.action}:${d.outcome}`);
    expect(actions).toEqual(expect.arrayContaining(["orphan-volume:scheduled", "destroy-orphan-volume:done"]));
    expect(actions).not.toContain("orphan-volume:blocked");
    const at = (a: string) => Date.parse(decisions.find((d) => d.action === a)!.at);
    expect(at("orphan-volume")).toBeLessThanOrEqual(at("destroy-orphan-volume"));
    // web-0's claim and volume are untouched.
    expect(await volume(volumeIds[0]!)).toMatchObject({ state: "created", attached_machine_id: await kit.machineOf(recreated) });
    expect((await kit.json<Claim>("get", "pvc", "www-web-0")).status.phase).toBe("Bound");
  }, 240_000);
});
