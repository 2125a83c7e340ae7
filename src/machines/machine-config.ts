/** Machine config as it travels on the wire: the spec's types plus fly-go's fields the spec lacks. */
import type { components } from "./openapi";

type S = components["schemas"];

/**
 * fly-go's temp-dir volume (`VolumeConfig`), absent from the OpenAPI spec: a directory tied to the
 * Machine's lifecycle that containers mount by name (reference/machines-api.md §3).
 */
export interface TempDirVolume {
  name: string;
  temp_dir: { storage_type: "disk" | "memory"; size_mb?: number };
}

/** fly-go's `ContainerMount`: mounts a machine `volumes[]` entry by name. */
export interface ContainerMount {
  name: string;
  path: string;
}

export type ContainerConfig = S["fly.ContainerConfig"] & { mounts?: ContainerMount[] };
export type ContainerHealthcheck = S["fly.ContainerHealthcheck"];
export type MachineCheck = S["fly.MachineCheck"];
export type MachineGuest = S["fly.MachineGuest"];
export type MachineFile = S["fly.File"];
export type EnvFrom = S["fly.EnvFrom"];
export type MachineSecret = S["fly.MachineSecret"];
export type MachineService = S["fly.MachineService"];
export type MachineServiceCheck = S["fly.MachineServiceCheck"];
export type DnsConfig = S["fly.DNSConfig"];
export type StopSignal = NonNullable<S["fly.StopConfig"]["signal"]>;

/** `fly.MachineConfig` with fly-go's `volumes[]` and container `mounts[]`, which the spec lacks. */
export type MachineConfig = Omit<S["fly.MachineConfig"], "containers"> & {
  containers?: ContainerConfig[];
  volumes?: TempDirVolume[];
};

export const STOP_SIGNALS: readonly StopSignal[] = ["SIGHUP", "SIGINT", "SIGQUIT", "SIGKILL", "SIGUSR1", "SIGUSR2", "SIGTERM"];
