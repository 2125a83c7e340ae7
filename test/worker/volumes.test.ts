// PersistentVolumeClaims as Fly Volumes: created per claim in the pod's region, kept across pod
// recreation, grown, and released only once no machine holds them.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { claimViewSchema } from "../../src/shared/contract";
import { emulatorUrl, eventually, fly, getPod, newCluster, pod, podPhase, postEvents, signedFetch } from "./helpers";

let rv = 5_000;
const claim = (name: string, storage: string, uid: string, annotations: Record<string, string> = {}) => ({
  apiVersion: "v1",
  kind: "PersistentVolumeClaim",
  metadata: { name, namespace: "default", uid, resourceVersion: String(++rv), annotations },
  spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage } } },
});
const mounting = (claimName: string, name: string) =>
  pod({
    name,
    metadata: { annotations: { "fly.io/region": "ams" } },
    spec: {
      volumes: [{ name: "data", persistentVolumeClaim: { claimName } }],
      containers: [{ name: "db", image: "postgres:17", volumeMounts: [{ name: "data", mountPath: "/var/lib/postgresql/data" }] }],
    },
  });

async function reconcile(cluster: string): Promise<void> {
  const res = await signedFetch(`/v1/clusters/${cluster}/reconcile`, { body: {} });
  expect(res.status, await res.clone().text()).toBe(200);
}

async function bootMounts(app: string, machineId: string): Promise<Array<{ path: string; volume_id: string; size_gb: number }>> {
  const res = await fetch(`${emulatorUrl}/_emulator/apps/${app}/machines/${machineId}/boot`);
  return ((await res.json()) as { mounts: Array<{ path: string; volume_id: string; size_gb: number }> }).mounts;
}

/** The volume as Fly answers it, or undefined while the shared rate budget says 429. */
const volumeOf = (app: string, id: string) => fly.getVolume(app, id).catch(() => undefined);

const deleted = <T extends { metadata: Record<string, unknown> }>(o: T) => ({ type: "DELETED", object: { ...o, metadata: { ...o.metadata, resourceVersion: String(++rv) } } });

describe("claims and Fly Volumes", () => {
  it("one volume per claim in the pod's region, mounted; the recreated pod gets the same volume", async () => {
    const { cluster, app } = newCluster();
    const claimUid = crypto.randomUUID();
    const first = mounting("data-db-0", "db-0");
    await postEvents(cluster, [{ type: "ADDED", object: claim("data-db-0", "1500Mi", claimUid) }, { type: "ADDED", object: first }]);
    const running = await podPhase(cluster, first.metadata.uid, "Running");
    const machine = await fly.getMachine(app, running.machineId!);
    expect(machine.region).toBe("ams");
    const [mount] = await bootMounts(app, machine.id!);
    expect(mount).toMatchObject({ path: "/var/lib/postgresql/data", size_gb: 2 });
    const volume = await fly.getVolume(app, mount!.volume_id);
    expect(volume).toMatchObject({ name: `pvc_${claimUid.replace(/-/g, "").slice(0, 26)}`, region: "ams", encrypted: true, attached_machine_id: machine.id });

    await postEvents(cluster, [deleted(first)]);
    await eventually("first pod gone", async () => (await getPod(cluster, first.metadata.uid)) === undefined);
    const second = mounting("data-db-0", "db-0");
    await postEvents(cluster, [{ type: "ADDED", object: second }]);
    const again = await podPhase(cluster, second.metadata.uid, "Running");
    expect((await bootMounts(app, again.machineId!))[0]!.volume_id).toBe(volume.id);
    expect((await fly.listVolumes(app)).filter((v) => v.name === volume.name)).toHaveLength(1);
  });

  it("a larger claim extends the volume; the volume outlives its claim while attached and is destroyed after", async () => {
    const { cluster, app } = newCluster();
    const claimUid = crypto.randomUUID();
    const p = mounting("data", "db");
    await postEvents(cluster, [{ type: "ADDED", object: claim("data", "1Gi", claimUid) }, { type: "ADDED", object: p }]);
    const running = await podPhase(cluster, p.metadata.uid, "Running");
    const volumeId = (await bootMounts(app, running.machineId!))[0]!.volume_id;
    // The operator's view names the claim's Fly volume.
    const view = await env.CLUSTER.getByName(cluster).statusView(cluster);
    expect(view.volumes).toEqual([expect.objectContaining({ claim: "data", volumeId, sizeGb: 1, pod: p.metadata.name })]);

    await postEvents(cluster, [{ type: "MODIFIED", object: claim("data", "3Gi", claimUid) }]);
    await eventually("volume extended", async () => (await volumeOf(app, volumeId))?.size_gb === 3);

    await postEvents(cluster, [deleted(claim("data", "3Gi", claimUid))]);
    await reconcile(cluster);
    expect((await eventually("volume read", () => volumeOf(app, volumeId))).state).not.toBe("pending_destroy");
    await postEvents(cluster, [deleted(p)]);
    await eventually("pod gone", async () => (await getPod(cluster, p.metadata.uid)) === undefined);
    await eventually("volume destroyed once free", async () => {
      await reconcile(cluster);
      return (await volumeOf(app, volumeId))?.state === "pending_destroy";
    });
  });

  it("Retain keeps the volume when the claim goes", async () => {
    const { cluster, app } = newCluster();
    const claimUid = crypto.randomUUID();
    const kept = claim("keep", "1Gi", claimUid, { "machinelet.fly.io/reclaim-policy": "Retain" });
    const p = mounting("keep", "k");
    await postEvents(cluster, [{ type: "ADDED", object: kept }, { type: "ADDED", object: p }]);
    const running = await podPhase(cluster, p.metadata.uid, "Running");
    const volumeId = (await bootMounts(app, running.machineId!))[0]!.volume_id;
    await postEvents(cluster, [deleted(p), deleted(kept)]);
    await eventually("pod gone", async () => (await getPod(cluster, p.metadata.uid)) === undefined);
    await reconcile(cluster);
    await reconcile(cluster);
    expect((await eventually("volume read", () => volumeOf(app, volumeId))).state).toBe("created");
  });

  it("the claim's view: Pending (WaitForFirstConsumer) until its volume exists, then Bound; a shrink and an impossible claim say why", async () => {
    const { cluster } = newCluster();
    const view = async (name: string) => {
      const res = await signedFetch(`/v1/clusters/${cluster}/claims/default/${name}`);
      return res.status === 404 ? undefined : claimViewSchema.parse(await res.json());
    };
    const claimUid = crypto.randomUUID();
    await postEvents(cluster, [{ type: "ADDED", object: claim("data", "1500Mi", claimUid) }]);
    expect(await view("data")).toMatchObject({ uid: claimUid, phase: "Pending", capacity: null, volume: null, event: { type: "Normal", reason: "WaitForFirstConsumer", message: "waiting for first consumer to be created before binding" } });
    expect(await view("nothing")).toBeUndefined();

    const p = mounting("data", "db");
    await postEvents(cluster, [{ type: "ADDED", object: p }]);
    await podPhase(cluster, p.metadata.uid, "Running");
    const bound = await view("data");
    expect(bound).toMatchObject({ phase: "Bound", capacity: "2Gi", accessModes: ["ReadWriteOnce"], event: null, volume: { region: "ams", sizeGb: 2 } });

    await postEvents(cluster, [{ type: "MODIFIED", object: claim("data", "1Gi", claimUid) }]);
    expect(await view("data")).toMatchObject({ phase: "Bound", capacity: "2Gi", event: { type: "Warning", reason: "VolumeResizeFailed", message: `Fly Volumes cannot shrink: volume ${bound!.volume!.id} stays at 2 GB (1 GB requested)` } });

    const shared = { ...claim("shared", "1Gi", crypto.randomUUID()), spec: { accessModes: ["ReadWriteMany"], resources: { requests: { storage: "1Gi" } } } };
    await postEvents(cluster, [{ type: "ADDED", object: shared }]);
    expect((await view("shared"))?.event).toMatchObject({ type: "Warning", reason: "ProvisioningFailed", message: expect.stringContaining("ReadWriteMany is not available") });
  });
});
