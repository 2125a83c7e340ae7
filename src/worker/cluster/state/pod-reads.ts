import type { FeedEntry } from "../../../shared/contract";
import { MAY_RUN, SETTLING } from "../../translate/machine-facts";
import { jsonBatches } from "./json-batches";
import { PodRecord, type Desired, type Lookup, type PodRow, type ReconcileEntry } from "./pod-record";

type Row = Record<string, SqlStorageValue>;
/** MAY_RUN as an SQL list (machine facts own the states; the store only queries them). */
const MAY_RUN_SQL = [...MAY_RUN].map((s) => `'${s}'`).join(", ");
const SETTLING_SQL = [...SETTLING].map((s) => `'${s}'`).join(", ");

interface Observed {
  machineId: string | null;
  machineVersion: string | null;
  machineState: string | null;
  observedDigest: string | null;
  desired: string;
}

function lookupOf(row: Row): Lookup {
  if (row.resourceVersion !== null) return { resourceVersion: row.resourceVersion as string, desired: row.desired as Desired, configHash: row.configHash as string | null };
  return row.tombstoned ? "tombstoned" : undefined;
}

/** The queries over the `pods` and `tombstones` tables; PodStore adds the transitions that write them. */
export class PodReads {
  constructor(protected readonly sql: SqlStorage) {}


  get(uid: string): PodRecord | undefined {
    const row = this.sql.exec<Row>("SELECT * FROM pods WHERE uid = ?", uid).toArray()[0];
    return row ? new PodRecord(row as unknown as PodRow) : undefined;
  }

  /** The stored pods among `uids`, by UID: one statement per batch. */
  getMany(uids: readonly string[]): Map<string, PodRecord> {
    const out = new Map<string, PodRecord>();
    for (const batch of jsonBatches(uids)) {
      for (const row of this.sql.exec<Row>("SELECT * FROM pods WHERE uid IN (SELECT value FROM json_each(?))", batch)) out.set(row.uid as string, new PodRecord(row as unknown as PodRow));
    }
    return out;
  }

  /** `lookup` for each of `uids` (each one a key of the map), one statement per batch. */
  lookupMany(uids: readonly string[]): Map<string, Lookup> {
    const out = new Map<string, Lookup>();
    for (const batch of jsonBatches(uids)) {
      for (const row of this.sql.exec<Row>(
        `SELECT k.value AS uid, p.resource_version AS resourceVersion, p.desired AS desired, p.config_hash AS configHash,
                EXISTS (SELECT 1 FROM tombstones AS t WHERE t.uid = k.value) AS tombstoned
         FROM json_each(?) AS k LEFT JOIN pods AS p ON p.uid = k.value`,
        batch,
      )) {
        out.set(row.uid as string, lookupOf(row));
      }
    }
    return out;
  }

  lookup(uid: string): Lookup {
    const row = this.sql
      .exec<Row>(
        `SELECT p.resource_version AS resourceVersion, p.desired AS desired, p.config_hash AS configHash,
                EXISTS (SELECT 1 FROM tombstones WHERE uid = ?) AS tombstoned
         FROM (SELECT ? AS uid) AS k LEFT JOIN pods AS p ON p.uid = k.uid`,
        uid,
        uid,
      )
      .one();
    return lookupOf(row);
  }

  /** The machine a pod owns, its state and the digest of its last observation (what the exit watch compares). */
  observedOf(uid: string): Observed | undefined {
    return this.sql
      .exec<Row>("SELECT machine_id AS machineId, machine_version AS machineVersion, machine_state AS machineState, observed_digest AS observedDigest, desired FROM pods WHERE uid = ?", uid)
      .toArray()[0] as Observed | undefined;
  }

  /** Whether any pod's machine is (as last observed) booting, stopping or otherwise settling: the exit watch looks at started machines too. */
  anySettling(): boolean {
    return this.sql.exec(`SELECT 1 FROM pods WHERE reread = 0 AND machine_state IN (${SETTLING_SQL}) LIMIT 1`).toArray().length > 0;
  }

  /** Whether any pod's machine is (as last observed) running or about to: the exit watch has something to watch. */
  anyMachineMayRun(): boolean {
    return this.sql.exec(`SELECT 1 FROM pods WHERE machine_state IN (${MAY_RUN_SQL}) LIMIT 1`).toArray().length > 0;
  }

  isTombstoned(uid: string): boolean {
    return this.sql.exec("SELECT 1 FROM tombstones WHERE uid = ?", uid).toArray().length > 0;
  }

  reconcileIndex(): Map<string, ReconcileEntry> {
    const index = new Map<string, ReconcileEntry>();
    for (const r of this.sql.exec<Row>(
      `SELECT uid, desired, machine_id, machine_version, CASE WHEN reread = 1 THEN NULL ELSE machine_state END AS machine_state,
              applied_hash, config_hash, observed_digest, terminal FROM pods`,
    )) {
      index.set(r.uid as string, {
        uid: r.uid as string,
        desired: r.desired as Desired,
        machineId: r.machine_id as string | null,
        machineVersion: r.machine_version as string | null,
        machineState: r.machine_state as string | null,
        appliedHash: r.applied_hash as string | null,
        configHash: r.config_hash as string | null,
        observedDigest: r.observed_digest as string | null,
        terminal: r.terminal === 1,
      });
    }
    return index;
  }

  /** UIDs of the pods not already being destroyed (what a snapshot may delete). */
  liveUids(): string[] {
    return this.sql.exec<{ uid: string }>("SELECT uid FROM pods WHERE desired != 'destroy'").toArray().map((r) => r.uid);
  }

  /** Every pod's current status, as the feed's first page after `after=0` gives it. */
  statuses(): FeedEntry[] {
    return this.sql
      .exec<{ uid: string; namespace: string; name: string; status_json: string | null }>("SELECT uid, namespace, name, status_json FROM pods")
      .toArray()
      .map((r) => ({ uid: r.uid, namespace: r.namespace, name: r.name, status: r.status_json ? (JSON.parse(r.status_json) as Record<string, unknown>) : {}, gone: false }));
  }

  /** The pods of `namespace` that want to run and have no terminal problem: those whose translation an object change may change. */
  runnableIn(namespace: string): PodRecord[] {
    return this.sql.exec<Row>("SELECT * FROM pods WHERE namespace = ? AND desired = 'run' AND terminal = 0", namespace).toArray().map((r) => new PodRecord(r as unknown as PodRow));
  }

  /** Every pod (what Fly secrets their specs and stored configs name). */
  all(): PodRecord[] {
    return this.sql.exec<Row>("SELECT * FROM pods").toArray().map((r) => new PodRecord(r as unknown as PodRow));
  }

  count(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM pods").one().n;
  }

  /** Whether a pod is bound to this machine. */
  holdsMachine(machineId: string): boolean {
    return this.sql.exec("SELECT 1 FROM pods WHERE machine_id = ? LIMIT 1", machineId).toArray().length > 0;
  }

  /** Keys of the templates that pods still run from (their spares stay in use). */
  spareKeysInUse(): string[] {
    return this.sql.exec<{ k: string }>("SELECT DISTINCT spare_key AS k FROM pods WHERE spare_key IS NOT NULL AND desired = 'run'").toArray().map((r) => r.k);
  }
}
