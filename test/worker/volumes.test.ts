// PersistentVolumeClaims as Fly Volumes: created per claim in the pod's region, kept across pod
// recreation, grown, and released only once no machine holds them.
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { claimViewSchema } from "../../src/shared/contract";
import { parseScrape, sampleValue } from "../support/prometheus";
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

/** A reconcile pass that completes (one answered 503 for a list 429 from Fly's 1/s budget is tried again). */
async function reconcile(cluster: string): Promise<void> {
  await eventually(`reconcile of ${cluster}`, async () => (await signedFetch(`/v1/clusters/${cluster}/reconcile`, { body: {} })).status === 200);
}

async function scrape(cluster: string) {
  const res = await exports.default.fetch(`http://worker/metrics?cluster=${cluster}`, { headers: { authorization: "Bearer test-status-token" } });
  expect(res.status).toBe(200);
  return parseScrape(await res.text());
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

  it("a claim being deleted (a finalizer holds it) stays with its running machine; a recreated pod waits instead of mounting it", async () => {
    const { cluster } = newCluster();
    const c = claim("held", "1Gi", crypto.randomUUID());
    const first = mounting("held", "h-0");
    await postEvents(cluster, [{ type: "ADDED", object: c }, { type: "ADDED", object: first }]);
    const running = await podPhase(cluster, first.metadata.uid, "Running");
    const terminating = { ...c, metadata: { ...c.metadata, resourceVersion: String(++rv), deletionTimestamp: "2026-12-02T01:00:00Z", finalizers: ["kubernetes.io/pvc-protection"] } };
    await postEvents(cluster, [{ type: "MODIFIED", object: terminating }]);
    await reconcile(cluster);
    expect(await getPod(cluster, first.metadata.uid)).toMatchObject({ machineId: running.machineId, status: { phase: "Running" } });

    await postEvents(cluster, [deleted(first)]);
    await eventually("first pod gone", async () => (await getPod(cluster, first.metadata.uid)) === undefined);
    const second = mounting("held", "h-0");
    await postEvents(cluster, [{ type: "ADDED", object: second }]);
    const waiting = await eventually("the recreated pod waiting", async () => {
      const v = await getPod(cluster, second.metadata.uid);
      const w = (v?.status.containerStatuses?.[0] as { state?: { waiting?: { reason?: string; message?: string } } } | undefined)?.state?.waiting;
      return w?.reason === "ContainerCreating" && w.message?.includes("being deleted") ? { v, w } : undefined;
    });
    expect(waiting.w.message).toBe('PersistentVolumeClaim "held" is being deleted: a new Machine does not mount it');
    expect(waiting.v?.machineId).toBeNull();
    await postEvents(cluster, [deleted(second)]);
  });

  it("a claim already being deleted when its pod arrives gets no Fly Volume; a live claim beside it does", async () => {
    const { cluster, app } = newCluster();
    const doomedUid = crypto.randomUUID();
    const doomed = claim("doomed", "1Gi", doomedUid);
    const terminating = { ...doomed, metadata: { ...doomed.metadata, deletionTimestamp: "2026-12-02T01:00:00Z", finalizers: ["kubernetes.io/pvc-protection"] } };
    const waiting = mounting("doomed", "d-0");
    const live = mounting("alive", "a-0");
    await postEvents(cluster, [
      { type: "ADDED", object: terminating },
      { type: "ADDED", object: claim("alive", "1Gi", crypto.randomUUID()) },
      { type: "ADDED", object: waiting },
      { type: "ADDED", object: live },
    ]);
    await podPhase(cluster, live.metadata.uid, "Running");
    await reconcile(cluster);
    const names = (await eventually("list", () => fly.listVolumes(app).catch(() => undefined))).map((v) => v.name);
    expect(names).toHaveLength(1);
    expect(names).not.toContain(`pvc_${doomedUid.replace(/-/g, "").slice(0, 26)}`);
    const pending = await getPod(cluster, waiting.metadata.uid);
    expect(pending).toMatchObject({ machineId: null, status: { phase: "Pending" } });
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

describe("the volume sweep", () => {
  const volumeName = (claimUid: string) => `pvc_${claimUid.replace(/-/g, "").slice(0, 26)}`;
  const view = (cluster: string) => env.CLUSTER.getByName(cluster).statusView(cluster);
  const orphan = async (cluster: string, volumeId: string) => (await view(cluster)).orphanVolumes.find((o) => o.volumeId === volumeId);
  /** A volume made behind the worker's back (as by a create whose answer was lost, or before a loss of state). */
  const made = (app: string, name: string) => eventually(`volume ${name} created`, () => fly.createVolume(app, { name, size_gb: 1, region: "ams" }).catch(() => undefined));
  /** The app exists once the worker has handled one event of the cluster. */
  const withApp = async (cluster: string, app: string) => {
    await postEvents(cluster, [{ type: "ADDED", object: claim("unrelated", "1Gi", crypto.randomUUID()) }]);
    await reconcile(cluster);
    await eventually("app", () => fly.getApp(app).catch(() => undefined));
  };

  it("a deleted claim's volume is kept while attached, reported, and destroyed only when two consecutive passes find it free", async () => {
    const { cluster, app } = newCluster();
    const claimUid = crypto.randomUUID();
    const c = claim("data", "1Gi", claimUid);
    const p = mounting("data", "db");
    await postEvents(cluster, [{ type: "ADDED", object: c }, { type: "ADDED", object: p }]);
    const running = await podPhase(cluster, p.metadata.uid, "Running");
    const volumeId = (await bootMounts(app, running.machineId!))[0]!.volume_id;

    await postEvents(cluster, [deleted(c)]);
    await reconcile(cluster);
    await reconcile(cluster);
    await reconcile(cluster);
    expect(await orphan(cluster, volumeId)).toMatchObject({ claimUid, disposition: "attached", machine: running.machineId });
    expect((await eventually("volume read", () => volumeOf(app, volumeId))).state).toBe("created");

    await postEvents(cluster, [deleted(p)]);
    await eventually("pod gone", async () => (await getPod(cluster, p.metadata.uid)) === undefined);
    // The first pass that finds it free reports it; only a later one destroys it.
    const releasing = await eventually("reported free", async () => {
      await reconcile(cluster);
      return (await orphan(cluster, volumeId))?.disposition === "releasing" || (await volumeOf(app, volumeId))?.state === "pending_destroy" ? await orphan(cluster, volumeId) : undefined;
    });
    expect(releasing, "destroyed without being reported free first").toMatchObject({ disposition: "releasing" });
    await eventually("volume destroyed", async () => {
      await reconcile(cluster);
      return (await volumeOf(app, volumeId))?.state === "pending_destroy";
    });
    const after = await view(cluster);
    expect(after.orphanVolumes.find((o) => o.volumeId === volumeId)).toBeUndefined();
    const actions = after.decisions.filter((d) => d.reason.includes(volumeId)).map((d) => d.action);
    expect(actions).toContain("destroy-orphan-volume");
    expect(actions).toContain("orphan-volume");
    expect(sampleValue(await scrape(cluster), "machinelet_reconcile_repairs_total", { cluster, kind: "orphan_volumes" })).toBe(1);
  });

  it("Retain, unknown claims and foreign volumes are kept; only this cluster's marks are reported", async () => {
    const { cluster, app } = newCluster();
    const claimUid = crypto.randomUUID();
    const kept = claim("keep", "1Gi", claimUid, { "machinelet.fly.io/reclaim-policy": "Retain" });
    const p = mounting("keep", "k");
    await postEvents(cluster, [{ type: "ADDED", object: kept }, { type: "ADDED", object: p }]);
    const running = await podPhase(cluster, p.metadata.uid, "Running");
    const retainedId = (await bootMounts(app, running.machineId!))[0]!.volume_id;
    const foreign = await made(app, "data_foreign");
    const lookalike = await made(app, "pvc_notours");
    const unknown = await made(app, volumeName(crypto.randomUUID()));
    await postEvents(cluster, [deleted(p), deleted(kept)]);
    await eventually("pod gone", async () => (await getPod(cluster, p.metadata.uid)) === undefined);
    for (let i = 0; i < 4; i++) await reconcile(cluster);

    for (const id of [retainedId, foreign.id!, lookalike.id!, unknown.id!]) expect((await eventually(`volume ${id}`, () => volumeOf(app, id))).state).toBe("created");
    const orphans = (await view(cluster)).orphanVolumes;
    expect(orphans.map((o) => [o.volumeId, o.disposition]).sort()).toEqual(
      [
        [retainedId, "retained"],
        [unknown.id, "unknown"],
      ].sort(),
    );
    const metrics = await scrape(cluster);
    expect(sampleValue(metrics, "machinelet_orphan_volumes", { cluster, disposition: "retained" })).toBe(1);
    expect(sampleValue(metrics, "machinelet_orphan_volumes", { cluster, disposition: "unknown" })).toBe(1);
  });

  it("a volume already named for a claim (a lost create, or state lost) is adopted, never made twice", async () => {
    const { cluster, app } = newCluster();
    await withApp(cluster, app);
    // Mounted by a pod: found by name before any create.
    const mountedUid = crypto.randomUUID();
    const before = await made(app, volumeName(mountedUid));
    const p = mounting("data", "db");
    await postEvents(cluster, [{ type: "ADDED", object: claim("data", "1Gi", mountedUid) }, { type: "ADDED", object: p }]);
    const running = await podPhase(cluster, p.metadata.uid, "Running");
    expect((await bootMounts(app, running.machineId!))[0]!.volume_id).toBe(before.id);
    // Not mounted yet: the sweep of a pass asked for (a relist) binds it, and the claim shows it.
    const idleUid = crypto.randomUUID();
    const idle = await made(app, volumeName(idleUid));
    await postEvents(cluster, [{ type: "ADDED", object: claim("idle", "1Gi", idleUid) }]);
    await reconcile(cluster);
    const res = await signedFetch(`/v1/clusters/${cluster}/claims/default/idle`);
    expect(claimViewSchema.parse(await res.json())).toMatchObject({ phase: "Bound", volume: { id: idle.id } });
    const names = (await eventually("list", () => fly.listVolumes(app).catch(() => undefined))).map((v) => v.name);
    expect(names.filter((n) => n === volumeName(mountedUid))).toHaveLength(1);
    expect(names.filter((n) => n === volumeName(idleUid))).toHaveLength(1);
    expect((await view(cluster)).orphanVolumes).toEqual([]);
  });

  it("a deleted claim never comes back: a stale copy is refused and its pods get no volume", async () => {
    const { cluster, app } = newCluster();
    const claimUid = crypto.randomUUID();
    const c = claim("data", "1Gi", claimUid);
    await postEvents(cluster, [{ type: "ADDED", object: c }]);
    await postEvents(cluster, [deleted(c)]);
    const [stale] = await postEvents(cluster, [{ type: "MODIFIED", object: c }]);
    expect(stale).toMatchObject({ uid: claimUid, outcome: "unchanged", message: "claim UID was deleted; a deleted claim never comes back" });
    // Never seen alive, deleted: still remembered.
    const unseen = claim("ghost", "1Gi", crypto.randomUUID());
    await postEvents(cluster, [deleted(unseen)]);
    expect((await postEvents(cluster, [{ type: "ADDED", object: unseen }]))[0]).toMatchObject({ outcome: "unchanged" });

    const p = mounting("data", "db");
    await postEvents(cluster, [{ type: "ADDED", object: p }]);
    await reconcile(cluster);
    expect((await getPod(cluster, p.metadata.uid))?.status?.phase).toBe("Pending");
    expect((await signedFetch(`/v1/clusters/${cluster}/claims/default/data`)).status).toBe(404);
    const volumes = await eventually("list", () => fly.listVolumes(app).catch(() => undefined));
    expect(volumes.filter((v) => v.name === volumeName(claimUid))).toEqual([]);
  });
});
