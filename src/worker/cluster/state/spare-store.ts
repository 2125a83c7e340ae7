/**
 * Owner of the `spares` and `spare_templates` tables: stopped machines kept for a pod template,
 * and each template's policy (count, TTL), the config its pre-warmed spares are created with and
 * its tallies. A spare row is written before the call that changes the machine (`parking` before
 * the update that makes it a spare, `claiming` before the update that gives it to a pod), so a
 * crash between call and record is resolved by reading the machine, never by guessing. A machine
 * is in at most one row; a pod claims at most one spare (unique `claimed_by`).
 */
import type { MachineConfig } from "../../../machines/machine-config";
import type { SparePlan } from "../../translate/spare-template";

export type SpareState = "parking" | "ready" | "claiming";

export interface Spare {
  machineId: string;
  key: string;
  state: SpareState;
  claimedBy: string | null;
  /** A claim's update was issued (its answer may be lost): read the machine before anything else. */
  updatedClaim: boolean;
  machineVersion: string | null;
  keptAt: number;
}

/** A template in use: its plan, the config its spares get, when a pod last ran from it, what happened to its spares. */
export interface SpareTemplate extends SparePlan {
  config: MachineConfig;
  lastPodAt: number;
  tally: { created: number; parked: number; claimed: number; expired: number };
}

type SpareRow = { machine_id: string; spare_key: string; state: SpareState; claimed_by: string | null; claim_update_at: number | null; machine_version: string | null; kept_at: number };
type TemplateRow = {
  spare_key: string;
  template: string;
  namespace: string;
  region: string | null;
  count: number | null;
  ttl_ms: number;
  config_json: string;
  last_pod_at: number;
  created: number;
  parked: number;
  claimed: number;
  expired: number;
};

const spareOf = (r: SpareRow): Spare => ({ machineId: r.machine_id, key: r.spare_key, state: r.state, claimedBy: r.claimed_by, updatedClaim: r.claim_update_at !== null, machineVersion: r.machine_version, keptAt: r.kept_at });
const templateOf = (r: TemplateRow): SpareTemplate => ({
  key: r.spare_key,
  template: r.template,
  namespace: r.namespace,
  region: r.region,
  count: r.count,
  ttlMs: r.ttl_ms,
  config: JSON.parse(r.config_json) as MachineConfig,
  lastPodAt: r.last_pod_at,
  tally: { created: r.created, parked: r.parked, claimed: r.claimed, expired: r.expired },
});

export type TallyEvent = keyof SpareTemplate["tally"];

export class SpareStore {
  constructor(private readonly sql: SqlStorage) {}

  // ---- reads

  get(machineId: string): Spare | undefined {
    const r = this.sql.exec<SpareRow>("SELECT * FROM spares WHERE machine_id = ?", machineId).toArray()[0];
    return r && spareOf(r);
  }

  /** The spare a pod is taking over, if a claim of it is under way. */
  /** Whether any spare is claimed (most clusters have none: no per-pod look needed). */
  anyClaimed(): boolean {
    return this.sql.exec("SELECT 1 FROM spares WHERE claimed_by IS NOT NULL LIMIT 1").toArray().length > 0;
  }

  claimedBy(uid: string): Spare | undefined {
    const r = this.sql.exec<SpareRow>("SELECT * FROM spares WHERE claimed_by = ?", uid).toArray()[0];
    return r && spareOf(r);
  }

  all(): Spare[] {
    return this.sql.exec<SpareRow>("SELECT * FROM spares ORDER BY kept_at").toArray().map(spareOf);
  }

  /** Spares of `key` that are or are becoming ready (what a count limits). */
  kept(key: string): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM spares WHERE spare_key = ? AND state IN ('ready', 'parking')", key).one().n;
  }

  template(key: string): SpareTemplate | undefined {
    const r = this.sql.exec<TemplateRow>("SELECT * FROM spare_templates WHERE spare_key = ?", key).toArray()[0];
    return r && templateOf(r);
  }

  templates(): SpareTemplate[] {
    return this.sql.exec<TemplateRow>("SELECT * FROM spare_templates ORDER BY namespace, template").toArray().map(templateOf);
  }

  /** Whether any template keeps a count of spares (only those are pre-warmed). */
  prewarmWanted(): boolean {
    return this.sql.exec("SELECT 1 FROM spare_templates WHERE count IS NOT NULL LIMIT 1").toArray().length > 0;
  }

  // ---- templates

  /**
   * A pod of the template runs (or just went): its policy and spare config are the newest, and
   * it counts as used now. `config` is the spare config pre-warmed spares are created with.
   */
  noteTemplate(plan: SparePlan, config: MachineConfig, now: number): void {
    this.sql.exec(
      `INSERT INTO spare_templates (spare_key, template, namespace, region, count, ttl_ms, config_json, last_pod_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(spare_key) DO UPDATE SET template = excluded.template, count = excluded.count, ttl_ms = excluded.ttl_ms, config_json = excluded.config_json,
                                           last_pod_at = excluded.last_pod_at, updated_at = excluded.updated_at`,
      plan.key, plan.template, plan.namespace, plan.region, plan.count, plan.ttlMs, JSON.stringify(config), now, now,
    );
  }

  /** Pods of these templates still run: they stay in use (their TTL counts from their last pod). */
  touchTemplates(keys: readonly string[], now: number): void {
    for (const key of keys) this.sql.exec("UPDATE spare_templates SET last_pod_at = ? WHERE spare_key = ?", now, key);
  }

  tally(key: string, event: TallyEvent, by = 1): void {
    this.sql.exec(`UPDATE spare_templates SET ${event} = ${event} + ? WHERE spare_key = ?`, by, key);
  }

  /** The template is out of use and has no spares left. */
  dropTemplate(key: string): void {
    this.sql.exec("DELETE FROM spare_templates WHERE spare_key = ? AND NOT EXISTS (SELECT 1 FROM spares WHERE spare_key = ?)", key, key);
  }

  // ---- spares

  /** The machine of a pod that went is about to become a spare of `key` (before the update that makes it one). */
  beginParking(machineId: string, key: string, now: number): void {
    this.sql.exec(
      `INSERT INTO spares (machine_id, spare_key, state, kept_at, updated_at) VALUES (?, ?, 'parking', ?, ?)
       ON CONFLICT(machine_id) DO UPDATE SET spare_key = excluded.spare_key, state = 'parking', claimed_by = NULL, claim_update_at = NULL, updated_at = excluded.updated_at`,
      machineId, key, now, now,
    );
  }

  /** The machine carries the spare config at `version`, stopped: ready for a claim. Also adopts a spare found by metadata. */
  ready(machineId: string, key: string, version: string | null, now: number): void {
    this.sql.exec(
      `INSERT INTO spares (machine_id, spare_key, state, machine_version, kept_at, updated_at) VALUES (?, ?, 'ready', ?, ?, ?)
       ON CONFLICT(machine_id) DO UPDATE SET state = 'ready', claimed_by = NULL, claim_update_at = NULL, machine_version = excluded.machine_version, kept_at = excluded.kept_at, updated_at = excluded.updated_at`,
      machineId, key, version, now, now,
    );
  }

  /**
   * Takes the newest ready spare of `key` for pod `uid` (before the update that gives it to the
   * pod). Exclusive: a spare in `claiming` is no other pod's to take.
   */
  claim(key: string, uid: string, now: number): Spare | undefined {
    const r = this.sql
      .exec<SpareRow>(
        `UPDATE spares SET state = 'claiming', claimed_by = ?, updated_at = ?
         WHERE machine_id = (SELECT machine_id FROM spares WHERE spare_key = ? AND state = 'ready' ORDER BY kept_at DESC LIMIT 1)
         RETURNING *`,
        uid, now, key,
      )
      .toArray()[0];
    return r && spareOf(r);
  }

  /** The claim's update is about to be issued. */
  markClaimUpdate(machineId: string, now: number): void {
    this.sql.exec("UPDATE spares SET claim_update_at = ?, updated_at = ? WHERE machine_id = ?", now, now, machineId);
  }

  /** A claim that did not happen (the update was refused for the pod's own reasons): the spare is ready again, at `version`. */
  release(machineId: string, version: string | null, now: number): void {
    this.sql.exec("UPDATE spares SET state = 'ready', claimed_by = NULL, claim_update_at = NULL, machine_version = coalesce(?, machine_version), updated_at = ? WHERE machine_id = ?", version, now, machineId);
  }

  /** The machine is no spare any more (claimed by its pod, destroyed, gone, or taken by someone else). */
  forget(machineId: string): void {
    this.sql.exec("DELETE FROM spares WHERE machine_id = ?", machineId);
  }
}
