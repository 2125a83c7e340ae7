import { badRequest, failedPrecondition } from "./errors";
import type { MachineConfig } from "./machine-config";
import type { AppRecord, MachineRecord, VolumeRecord } from "./model";

/** The volume a machine is bound to (from its create until it is destroyed). */
export const boundVolume = (app: AppRecord, machineId: string): VolumeRecord | undefined =>
  [...app.volumes.values()].find((v) => v.attachedMachineId === machineId);

/**
 * The volume a new machine mounts, checked the way Fly checks it: it exists, it is free, and it is
 * in the machine's region. Returns the region the machine lands in (the volume's, when none was asked).
 */
export function volumeForCreate(app: AppRecord, config: MachineConfig, region: string | undefined): { volume?: VolumeRecord; region?: string } {
  const mount = config.mounts?.[0];
  if (!mount) return { region };
  const volume = app.volumes.get(mount.volume);
  if (!volume || volume.state === "pending_destroy") throw badRequest(`invalid config.mounts[0].volume: volume ${mount.volume} not found`);
  if (volume.attachedMachineId) throw failedPrecondition(`volume ${volume.id} is currently bound to machine: ${volume.attachedMachineId}`);
  if (region !== undefined && region !== volume.region) {
    throw badRequest(`invalid config.mounts[0].volume: volume ${volume.id} is in region ${volume.region}, not ${region}`);
  }
  return { volume, region: volume.region };
}

/** An update may keep or drop the machine's volume but never swap in another one. */
export function checkMountsForUpdate(app: AppRecord, m: MachineRecord, config: MachineConfig): void {
  const wanted = config.mounts?.[0]?.volume;
  if (wanted === undefined) return;
  const bound = boundVolume(app, m.id);
  if (bound?.id !== wanted) throw badRequest(`invalid config.mounts[0].volume: a machine's volume cannot be changed by an update (bound: ${bound?.id ?? "none"})`);
}
