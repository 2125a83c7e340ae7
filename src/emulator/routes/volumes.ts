import { z } from "zod";
import { parseOr400, queryInt, readJsonBody } from "../body";
import { rfc3339 } from "../clock";
import { badRequest, failedPrecondition } from "../errors";
import { honoPath, pathParam, type FlyApp } from "../hono-env";
import { newVolumeId, newZone } from "../ids";
import type { VolumeRecord } from "../model";
import { paginate } from "../pagination";
import { FLY_REGIONS } from "../regions";
import type { EmulatorState } from "../state";
import { RUNNING } from "../lifecycle";

const VOLUMES = "/v1/apps/{app_name}/volumes";
const VOLUME = `${VOLUMES}/{volume_id}`;
const BLOCK_SIZE = 4096;
const MAX_SIZE_GB = 500;

const sizeGb = z.number().int().min(1).max(MAX_SIZE_GB);
const createSchema = z.looseObject({
  name: z.string({ error: "required" }).regex(/^[a-z0-9_]{1,30}$/, "must be 1-30 lowercase letters, digits or underscores"),
  region: z.string().optional(),
  size_gb: sizeGb.optional(),
  encrypted: z.boolean().optional(),
  fstype: z.enum(["ext4", "raw"]).optional(),
  snapshot_retention: z.number().int().min(1).max(60).optional(),
  auto_backup_enabled: z.boolean().optional(),
  require_unique_zone: z.boolean().optional(),
  unique_zone_app_wide: z.boolean().optional(),
  snapshot_id: z.string().optional(),
  source_volume_id: z.string().optional(),
  compute: z.looseObject({}).optional(),
});
const updateSchema = z.looseObject({ auto_backup_enabled: z.boolean().optional(), snapshot_retention: z.number().int().min(1).max(60).optional() });
const extendSchema = z.looseObject({ size_gb: z.number({ error: "required" }).int().max(MAX_SIZE_GB) });

/** A volume as the API returns it (`Volume`); an empty filesystem of `size_gb`. */
function volumeView(v: VolumeRecord) {
  const blocks = (v.sizeGb * 1024 ** 3) / BLOCK_SIZE;
  return {
    id: v.id,
    name: v.name,
    state: v.state,
    size_gb: v.sizeGb,
    region: v.region,
    zone: v.zone,
    encrypted: v.encrypted,
    ...(v.attachedMachineId ? { attached_machine_id: v.attachedMachineId } : {}),
    created_at: rfc3339(v.createdAt),
    fstype: v.fstype,
    snapshot_retention: v.snapshotRetention,
    auto_backup_enabled: v.autoBackupEnabled,
    block_size: BLOCK_SIZE,
    blocks,
    blocks_free: blocks,
    blocks_avail: blocks,
    bytes_total: v.sizeGb * 1024 ** 3,
    bytes_used: 0,
    host_status: "ok" as const,
    type: "local" as const,
  };
}

export function volumeRoutes(app: FlyApp, st: EmulatorState): void {
  app.get(honoPath(VOLUMES), (c) => {
    const volumes = [...st.app(pathParam(c, "app_name")).volumes.values()].filter((v) => v.state !== "pending_destroy");
    const { page, next } = paginate(volumes, queryInt(c, "limit", 1, 1000), c.req.query("cursor") || undefined);
    if (next) c.header("fly-next-cursor", next);
    return c.json(page.map(volumeView));
  });

  app.post(honoPath(VOLUMES), async (c) => {
    const target = st.app(pathParam(c, "app_name"));
    const body = parseOr400(createSchema, (await readJsonBody(c)) ?? {});
    if (body.snapshot_id !== undefined) throw badRequest("invalid snapshot_id: restoring snapshots is not emulated");
    const source = body.source_volume_id === undefined ? undefined : st.volume(target.name, body.source_volume_id);
    const region = body.region ?? source?.region ?? st.config.defaultRegion;
    if (!FLY_REGIONS.has(region)) throw badRequest(`invalid region: ${JSON.stringify(region)} is not a Fly region`);
    const size = body.size_gb ?? source?.sizeGb ?? 3;
    if (source && size < source.sizeGb) throw badRequest(`invalid size_gb: a fork is at least as large as its source (${source.sizeGb})`);
    const volume: VolumeRecord = {
      id: newVolumeId(),
      seq: st.nextSeq(),
      name: body.name,
      region,
      zone: newZone(),
      sizeGb: size,
      encrypted: body.encrypted ?? true,
      fstype: body.fstype ?? "ext4",
      snapshotRetention: body.snapshot_retention ?? 5,
      autoBackupEnabled: body.auto_backup_enabled ?? true,
      state: "created",
      createdAt: st.now(),
    };
    target.volumes.set(volume.id, volume);
    return c.json(volumeView(volume));
  });

  app.get(honoPath(VOLUME), (c) => c.json(volumeView(st.volume(pathParam(c, "app_name"), pathParam(c, "volume_id"), true))));

  app.put(honoPath(VOLUME), async (c) => {
    const v = st.volume(pathParam(c, "app_name"), pathParam(c, "volume_id"));
    const body = parseOr400(updateSchema, (await readJsonBody(c)) ?? {});
    if (body.auto_backup_enabled !== undefined) v.autoBackupEnabled = body.auto_backup_enabled;
    if (body.snapshot_retention !== undefined) v.snapshotRetention = body.snapshot_retention;
    return c.json(volumeView(v));
  });

  /** A volume bound to a machine cannot be deleted until that machine is destroyed; deletion is soft (pending_destroy). */
  app.delete(honoPath(VOLUME), (c) => {
    const v = st.volume(pathParam(c, "app_name"), pathParam(c, "volume_id"));
    if (v.attachedMachineId) throw failedPrecondition(`volume is currently bound to machine: ${v.attachedMachineId}`);
    v.state = "pending_destroy";
    return c.json(volumeView(v));
  });

  app.put(honoPath(`${VOLUME}/extend`), async (c) => {
    const v = st.volume(pathParam(c, "app_name"), pathParam(c, "volume_id"));
    const body = parseOr400(extendSchema, (await readJsonBody(c)) ?? {});
    if (body.size_gb <= v.sizeGb) throw badRequest(`invalid size_gb: volumes only grow, and this one is already ${v.sizeGb} GB`);
    v.sizeGb = body.size_gb;
    // Assumed: a running machine sees the larger filesystem only after its next boot.
    const holder = v.attachedMachineId === undefined ? undefined : st.app(pathParam(c, "app_name")).machines.get(v.attachedMachineId);
    return c.json({ volume: volumeView(v), needs_restart: holder !== undefined && RUNNING.has(holder.state) });
  });
}
