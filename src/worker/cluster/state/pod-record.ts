/**
 * The shapes of the `pods` table: the raw row, what PodStore's reads return and its transitions
 * take, and PodRecord, one row as the rest of the worker sees it: typed, camelCase, JSON columns parsed at
 * most once per read (on first use), the machine's state already corrected for a requested
 * re-read. Only the stores in this directory see the raw row.
 */
import type { MachineConfig } from "../../../machines/machine-config";
import type { Machine } from "../../../machines/schemas";
import type { Pod, PodStatus } from "../../../shared/k8s";
import { observedDigest, type Problem } from "../../translate/machine-facts";

/** What the pod asks for: run its machine, stop it gracefully then destroy it, destroy it now. */
export type Desired = "run" | "delete" | "destroy";

/** The `pods` columns, as SQLite holds them. */
export interface PodRow {
  uid: string;
  namespace: string;
  name: string;
  resource_version: string;
  desired: Desired;
  pod_json: string;
  config_json: string | null;
  config_hash: string | null;
  region: string | null;
  machine_name: string;
  grace_s: number;
  machine_id: string | null;
  machine_version: string | null;
  applied_hash: string | null;
  machine_state: string | null;
  machine_json: string | null;
  create_intent_at: number | null;
  stop_requested_at: number | null;
  status_json: string | null;
  updated_at: number;
  unhonoured_json: string | null;
  observed_digest: string | null;
  terminal: number;
  problem_reason: string | null;
  problem_message: string | null;
  phase: string | null;
  reread: number;
  min_secrets_version: number;
  spare_key: string | null;
  machine_since: number | null;
}

/** The columns a reconcile pass compares for every pod, without any JSON (the rest is read where it acts). */
export interface ReconcileEntry {
  uid: string;
  desired: Desired;
  machineId: string | null;
  machineVersion: string | null;
  /** null when unknown (no machine, or a re-read requested) */
  machineState: string | null;
  appliedHash: string | null;
  configHash: string | null;
  observedDigest: string | null;
  terminal: boolean;
}

/** What intake knows of a pod before it parses the event: enough to answer repeats and stale copies. */
export interface DesiredView {
  resourceVersion: string;
  desired: Desired;
  configHash: string | null;
}

/** A stored pod's desired state, or that its UID is tombstoned, or nothing: one query. */
export type Lookup = DesiredView | "tombstoned" | undefined;

/** A status computed for a row about to be written, stored with it. */
export interface StatusToStore {
  json: string;
  phase: string | null;
}

/** A pod seen for the first time. */
export interface NewPod {
  uid: string;
  namespace: string;
  name: string;
  resourceVersion: string;
  pod: Pod;
  machineName: string;
  region: string | null;
  graceS: number;
  /** Translation of the pod: config and hash, or the terminal problem of a pod that cannot run. */
  config: unknown;
  configHash: string | null;
  minSecretsVersion: number;
  problem: Problem | null;
  unhonoured: string[];
}

/** A newer copy of a running pod's spec; `translation` only when the machine config changed. */
export interface SpecRevision {
  resourceVersion: string;
  pod: Pod;
  graceS: number;
  unhonoured: string[];
  translation?: { config: unknown; configHash: string | null; minSecretsVersion: number; region: string | null; problem: Problem | null };
}

export class PodRecord {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly resourceVersion: string;
  readonly desired: Desired;
  /** Hash of the config the pod asks for; null when it cannot run as a machine. */
  readonly configHash: string | null;
  readonly region: string | null;
  readonly machineName: string;
  /** Termination grace for a graceful delete, seconds. */
  readonly graceS: number;
  readonly machineId: string | null;
  readonly machineVersion: string | null;
  /** Hash of the config the machine was last given (or found to carry); differs from configHash: update it. */
  readonly appliedHash: string | null;
  /** `min_secrets_version` for create and update: the Fly secrets version the pod's secrets need (0: none). */
  readonly minSecretsVersion: number;
  /** The machine's state as last recorded; null when unknown: no machine yet, or a re-read was requested. */
  readonly machineState: string | null;
  /** When a create was (maybe) issued without its answer recorded: look the machine up before creating again. */
  readonly createIntentAt: number | null;
  readonly stopRequestedAt: number | null;
  readonly observedDigest: string | null;
  /** The status phase last published. */
  readonly phase: string | null;
  readonly problem: Problem | null;
  /** Key of the pod template the pod's machine is kept for when the pod goes (null: none). */
  readonly spareKey: string | null;
  /**
   * For a machine taken over from a spare: when (Fly's clock, ms) the pod's own events start.
   * Everything older belongs to an earlier pod; `lastMachine` leaves it out.
   */
  readonly machineSince: number | null;

  /**
   * `parsed`: values already in hand for JSON columns of `row` (each must be what its column
   * holds); `from`: an earlier record of the same pod, whose parses are reused for every JSON
   * column that did not change.
   */
  constructor(
    private readonly row: PodRow,
    parsed: { pod?: Pod; config?: unknown; machine?: Machine; from?: PodRecord } = {},
  ) {
    const from = parsed.from;
    this.#pod = parsed.pod ?? (from && from.row.pod_json === row.pod_json ? from.#pod : undefined);
    this.#config = parsed.config !== undefined ? (parsed.config as MachineConfig | null) : from && from.row.config_json === row.config_json ? from.#config : undefined;
    this.#lastMachine = parsed.machine
      ? sinceClaim(parsed.machine, row.machine_since)
      : from && from.row.machine_json === row.machine_json && from.row.machine_since === row.machine_since
        ? from.#lastMachine
        : undefined;
    this.#status = from && from.row.status_json === row.status_json ? from.#status : undefined;
    this.#unhonoured = from && from.row.unhonoured_json === row.unhonoured_json ? from.#unhonoured : undefined;
    this.uid = row.uid;
    this.namespace = row.namespace;
    this.name = row.name;
    this.resourceVersion = row.resource_version;
    this.desired = row.desired;
    this.configHash = row.config_hash;
    this.region = row.region;
    this.machineName = row.machine_name;
    this.graceS = row.grace_s;
    this.machineId = row.machine_id;
    this.machineVersion = row.machine_version;
    this.appliedHash = row.applied_hash;
    this.minSecretsVersion = row.min_secrets_version;
    this.machineState = row.reread ? null : row.machine_state;
    this.createIntentAt = row.create_intent_at;
    this.stopRequestedAt = row.stop_requested_at;
    this.observedDigest = row.observed_digest;
    this.phase = row.phase;
    this.spareKey = row.spare_key;
    this.machineSince = row.machine_since;
    this.problem = row.problem_reason === null ? null : { reason: row.problem_reason, message: row.problem_message ?? "", terminal: row.terminal === 1 };
  }

  /**
   * For the stores: this pod's record after they wrote, without reading the row back, what
   * `recordMachine` writes (machine `m` bound and observed, `appliedHash`, the problem cleared).
   * This record's parses serve every JSON column unchanged.
   */
  withMachine(m: Machine, appliedHash: string | null, now: number): PodRecord {
    const { kept, columns } = machineColumnsOf(m);
    return new PodRecord({ ...this.row, ...columns, applied_hash: appliedHash, reread: 0, terminal: 0, problem_reason: null, problem_message: null, updated_at: now }, { machine: kept, from: this });
  }

  /**
   * Nothing for a step to do (converge.ts, ensureRunning): the pod wants to run, its machine is
   * started and carries the pod's config. The common case of an adoption after a loss of state.
   */
  get settledAsWanted(): boolean {
    return this.desired === "run" && this.machineState === "started" && this.configHash !== null && this.appliedHash === this.configHash && !this.problem?.terminal;
  }

  /** For the stores: this pod's record after they wrote `status` with it (no read back). */
  withStatus(status: StatusToStore): PodRecord {
    return new PodRecord({ ...this.row, status_json: status.json, phase: status.phase }, { from: this });
  }

  /** The whole row as this record holds it, for the store that writes it (admissions). */
  get stored(): Readonly<PodRow> {
    return this.row;
  }

  /** The columns `withMachine` and `withStatus` write, for the store's statement. */
  get machineColumns(): Pick<PodRow, "uid" | "machine_id" | "machine_version" | "machine_state" | "machine_json" | "observed_digest" | "applied_hash" | "status_json" | "phase"> {
    const r = this.row;
    return { uid: r.uid, machine_id: r.machine_id, machine_version: r.machine_version, machine_state: r.machine_state, machine_json: r.machine_json, observed_digest: r.observed_digest, applied_hash: r.applied_hash, status_json: r.status_json, phase: r.phase };
  }

  #pod: Pod | undefined;
  /** The pod as last recorded (the parsed object intake stored). */
  get pod(): Pod {
    return (this.#pod ??= JSON.parse(this.row.pod_json) as Pod);
  }

  #config: MachineConfig | null | undefined;
  /** The machine config the pod asks for; null when it cannot run as a machine. */
  get config(): MachineConfig | null {
    if (this.#config === undefined) this.#config = this.row.config_json === null ? null : (JSON.parse(this.row.config_json) as MachineConfig);
    return this.#config;
  }

  #lastMachine: Machine | null | undefined;
  /**
   * The machine as last read whole (its state may be older than `machineState`). A machine taken
   * over from a spare shows only what happened since: its events from `machineSince` on, and that
   * time as its creation (the pod's start time), so nothing of an earlier pod reaches this pod's status.
   */
  get lastMachine(): Machine | null {
    if (this.#lastMachine === undefined) this.#lastMachine = this.row.machine_json === null ? null : sinceClaim(JSON.parse(this.row.machine_json) as Machine, this.row.machine_since);
    return this.#lastMachine;
  }

  #status: PodStatus | null | undefined;
  /** The status last published. */
  get status(): PodStatus | null {
    if (this.#status === undefined) this.#status = this.row.status_json === null ? null : (JSON.parse(this.row.status_json) as PodStatus);
    return this.#status;
  }

  /** The status last published, as JSON (what the feed carries). */
  get statusJson(): string | null {
    return this.row.status_json;
  }

  #unhonoured: string[] | undefined;
  /** "<field path>: <why>" for each part of the pod the machine does not honour. */
  get unhonoured(): string[] {
    return (this.#unhonoured ??= this.row.unhonoured_json === null ? [] : (JSON.parse(this.row.unhonoured_json) as string[]));
  }
}

/**
 * What a pod's row keeps of its machine: all of it but its config. The config a machine runs is
 * the pod's own (`config_json`) once `applied_hash` matches; a drift check compares a listed
 * machine's, never the kept one. The config is ~40% of a machine's JSON, written at every observation.
 */
function keptOf(m: Machine): Machine {
  const { config: _config, ...kept } = m;
  return kept;
}

/** The machine columns recording `m` writes, and the machine as the row keeps it (for the record built with them). */
export function machineColumnsOf(m: Machine): { kept: Machine; columns: Pick<PodRow, "machine_id" | "machine_version" | "machine_state" | "machine_json" | "observed_digest"> } {
  const kept = keptOf(m);
  return { kept, columns: { machine_id: m.id, machine_version: m.version ?? null, machine_state: m.state, machine_json: JSON.stringify(kept), observed_digest: observedDigest(m) } };
}

function sinceClaim(m: Machine, since: number | null): Machine {
  if (since === null) return m;
  return { ...m, created_at: new Date(since).toISOString(), events: (m.events ?? []).filter((e) => e.timestamp >= since) };
}
