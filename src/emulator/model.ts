import type { MachineConfig } from "./machine-config";

/** Every state a machine can be in here (a subset of Fly's list: no creating, updating, launch_failed, migrated). */
export type MachineState =
  | "created"
  | "starting"
  | "started"
  | "stopping"
  | "stopped"
  | "suspending"
  | "suspended"
  | "restarting"
  | "replacing"
  | "destroying"
  | "destroyed"
  | "failed";

/** One machine event; `status` is the machine state the event left it in. */
export interface MachineEventRecord {
  id: string;
  type: "launch" | "start" | "stop" | "exit" | "restart" | "suspend" | "update" | "destroy";
  status: MachineState;
  source: "user" | "flyd";
  timestamp: number;
  request?: Record<string, unknown>;
}

export interface LeaseRecord {
  nonce: string;
  owner: string;
  description: string;
  expiresAtMs: number;
  version: string;
}

export interface MachineVersionRecord {
  version: string;
  config: MachineConfig;
}

export interface MachineRecord {
  id: string;
  /** Creation order, for stable list pagination. */
  seq: number;
  name: string;
  /** The app it belongs to (for app-scoped faults). */
  app: string;
  region: string;
  state: MachineState;
  config: MachineConfig;
  version: string;
  /** App secret values as of the last create or update: what the machine's boots see. */
  secrets: ReadonlyMap<string, string>;
  /** Every version, oldest first (the last one is current). */
  versions: MachineVersionRecord[];
  privateIp: string;
  createdAt: number;
  updatedAt: number;
  events: MachineEventRecord[];
  lease?: LeaseRecord;
  cordoned: boolean;
  /** Check statuses set through `PUT /_emulator/apps/{app}/machines/{id}/checks` (name or "*" -> status). */
  checkOverrides?: Record<string, "passing" | "warning" | "critical">;
  /** Times of automatic restarts, for the on-failure window. */
  autoRestarts: number[];
  /** Automatic restarts since the last user start, restart or update. */
  restartCount: number;
  /** Images on the machine's host (pulled by its first boot of them): a boot of any other pays `imagePullMs`. */
  pulledImages: Set<string>;
  destroyedAt?: number;
  /** The one pending lifecycle timer, replaced by each new transition. */
  pending?: ReturnType<typeof setTimeout>;
  /** Woken on every state change or event (wait long-polls). */
  listeners: Set<() => void>;
}

export interface VolumeRecord {
  id: string;
  seq: number;
  name: string;
  region: string;
  zone: string;
  sizeGb: number;
  encrypted: boolean;
  fstype: string;
  snapshotRetention: number;
  autoBackupEnabled: boolean;
  state: "created" | "pending_destroy";
  /** Bound from the machine create that mounts it until that machine is destroyed. */
  attachedMachineId?: string;
  createdAt: number;
}

export interface SecretRecord {
  name: string;
  value: string;
  createdAt: number;
  updatedAt: number;
}

export interface IpRecord {
  ip: string;
  type: "v4" | "v6" | "shared_v4" | "private_v6";
  region: string;
  createdAt: number;
  serviceName?: string;
  network?: { name: string; org_slug: string };
}

export interface AppRecord {
  id: string;
  seq: number;
  name: string;
  orgSlug: string;
  network: string;
  createdAt: number;
  idempotencyKey?: string;
  /** Third group of every 6PN address of this app (`fdaa:0:<net>:…`). */
  netPrefix: string;
  machines: Map<string, MachineRecord>;
  volumes: Map<string, VolumeRecord>;
  secrets: Map<string, SecretRecord>;
  secretsVersion: number;
  ips: IpRecord[];
}
