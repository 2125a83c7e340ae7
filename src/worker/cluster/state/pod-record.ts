/**
 * One row of `pods` as the rest of the worker sees it: typed, camelCase, JSON columns parsed at
 * most once per read (on first use), the machine's state already corrected for a requested
 * re-read. Only the stores in this directory see the raw row.
 */
import type { MachineConfig } from "../../../machines/machine-config";
import type { Machine } from "../../../machines/schemas";
import type { Pod, PodStatus } from "../../../shared/k8s";
import type { Problem } from "../../translate/machine-facts";

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

  constructor(private readonly row: PodRow) {
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
    this.problem = row.problem_reason === null ? null : { reason: row.problem_reason, message: row.problem_message ?? "", terminal: row.terminal === 1 };
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
  /** The machine as last read whole (its state may be older than `machineState`). */
  get lastMachine(): Machine | null {
    if (this.#lastMachine === undefined) this.#lastMachine = this.row.machine_json === null ? null : (JSON.parse(this.row.machine_json) as Machine);
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
