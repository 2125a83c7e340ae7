/**
 * Owner of the `pods` and `tombstones` tables. Everything that changes a pod's row is a named
 * transition below: one statement, `updated_at` bumped, its invariant stated. Transitions that
 * callers publish status after return the row as written (`RETURNING`), so nobody reads it again.
 */
import type { Machine } from "../../../machines/schemas";
import type { FeedEntry } from "../../../shared/contract";
import type { Pod } from "../../../shared/k8s";
import { observedDigest, type Problem } from "../../translate/machine-facts";
import { PodRecord, type Desired, type PodRow } from "./pod-record";

export { PodRecord, type Desired };

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

type Row = Record<string, SqlStorageValue>;
const json = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));
const listJson = (v: string[]): string | null => (v.length ? JSON.stringify(v) : null);
const problemArgs = (p: Problem | null): [number, string | null, string | null] => (p ? [p.terminal ? 1 : 0, p.reason, p.message] : [0, null, null]);

export class PodStore {
  constructor(private readonly sql: SqlStorage) {}

  // ---- reads

  get(uid: string): PodRecord | undefined {
    const row = this.sql.exec<Row>("SELECT * FROM pods WHERE uid = ?", uid).toArray()[0];
    return row ? new PodRecord(row as unknown as PodRow) : undefined;
  }

  desiredOf(uid: string): DesiredView | undefined {
    return this.sql
      .exec<Row>("SELECT resource_version AS resourceVersion, desired, config_hash AS configHash FROM pods WHERE uid = ?", uid)
      .toArray()[0] as DesiredView | undefined;
  }

  /** The machine a pod owns and the digest of its last observation (what the exit watch compares). */
  observedOf(uid: string): { machineId: string | null; observedDigest: string | null; desired: string } | undefined {
    return this.sql
      .exec<Row>("SELECT machine_id AS machineId, observed_digest AS observedDigest, desired FROM pods WHERE uid = ?", uid)
      .toArray()[0] as { machineId: string | null; observedDigest: string | null; desired: string } | undefined;
  }

  /** Whether any pod's machine is (as last observed) running or about to: the exit watch has something to watch. */
  anyMachineMayRun(): boolean {
    return this.sql.exec("SELECT 1 FROM pods WHERE machine_state IN ('started', 'starting', 'restarting', 'updating', 'replacing', 'created') LIMIT 1").toArray().length > 0;
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

  // ---- desired state (intake)

  /** A pod seen for the first time; it wants to run. Invariant: its UID is neither stored nor tombstoned. */
  admit(p: NewPod, now: number): PodRecord {
    return this.one(
      `INSERT INTO pods (uid, namespace, name, resource_version, desired, pod_json, config_json, config_hash, min_secrets_version, region, machine_name,
                         grace_s, terminal, problem_reason, problem_message, unhonoured_json, updated_at)
       VALUES (?, ?, ?, ?, 'run', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      p.uid, p.namespace, p.name, p.resourceVersion, JSON.stringify(p.pod), json(p.config), p.configHash, p.minSecretsVersion, p.region, p.machineName,
      p.graceS, ...problemArgs(p.problem), listJson(p.unhonoured), now,
    )!;
  }

  /**
   * A newer copy of the pod that still runs. A changed config replaces config, hash and problem
   * (a pod that cannot run gets its terminal problem, one that can is cleared of it).
   */
  reviseSpec(uid: string, r: SpecRevision, now: number): PodRecord {
    const common = [r.resourceVersion, JSON.stringify(r.pod), r.graceS, listJson(r.unhonoured), now];
    if (!r.translation) {
      return this.one("UPDATE pods SET resource_version = ?, pod_json = ?, grace_s = ?, unhonoured_json = ?, updated_at = ? WHERE uid = ? RETURNING *", ...common, uid)!;
    }
    const t = r.translation;
    return this.one(
      `UPDATE pods SET resource_version = ?, pod_json = ?, grace_s = ?, unhonoured_json = ?, updated_at = ?,
                       config_json = ?, config_hash = ?, min_secrets_version = ?, region = ?, terminal = ?, problem_reason = ?, problem_message = ?
       WHERE uid = ? RETURNING *`,
      ...common, json(t.config), t.configHash, t.minSecretsVersion, t.region, ...problemArgs(t.problem), uid,
    )!;
  }

  /** The pod is terminating (`deletionTimestamp`): stop its machine with `graceS`, then destroy it. Only from `run`. */
  markDeleting(uid: string, resourceVersion: string, graceS: number, pod: Pod, now: number): PodRecord {
    return this.one(
      "UPDATE pods SET desired = 'delete', grace_s = ?, resource_version = ?, pod_json = ?, updated_at = ? WHERE uid = ? RETURNING *",
      graceS, resourceVersion, JSON.stringify(pod), now, uid,
    )!;
  }

  /** The pod is gone from Kubernetes (DELETED, or absent from a snapshot): destroy its machine at once. */
  markDestroy(uid: string, resourceVersion: string | null, now: number): void {
    this.sql.exec("UPDATE pods SET desired = 'destroy', resource_version = coalesce(?, resource_version), updated_at = ? WHERE uid = ?", resourceVersion, now, uid);
  }

  /** A newer copy that changes nothing machinelet acts on (the pod is already going). */
  noteResourceVersion(uid: string, resourceVersion: string, now: number): void {
    this.sql.exec("UPDATE pods SET resource_version = ?, updated_at = ? WHERE uid = ?", resourceVersion, now, uid);
  }

  // ---- the machine (convergence and reconcile)

  /** A create is about to be issued. Invariant: stored before the call, so a lost answer is looked up, never created twice. */
  markCreateIntent(uid: string, now: number): void {
    this.sql.exec("UPDATE pods SET create_intent_at = ?, updated_at = ? WHERE uid = ?", now, now, uid);
  }

  /** The create was refused for certain (nothing was made): the next try need not look the machine up. */
  clearCreateIntent(uid: string, now: number): void {
    this.sql.exec("UPDATE pods SET create_intent_at = NULL, updated_at = ? WHERE uid = ?", now, uid);
  }

  /**
   * An answer about the pod's machine `m` (created, updated, read, or found by metadata): binds
   * the machine to the pod, records it as observed, and clears any problem (the API answered).
   * `appliedHash` (when given) is the hash of the config the machine now carries.
   */
  recordMachine(uid: string, m: Machine, now: number, appliedHash?: string | null): PodRecord | undefined {
    const set = appliedHash === undefined ? "" : ", applied_hash = ?";
    return this.one(
      `UPDATE pods SET machine_id = ?, machine_version = ?, machine_state = ?, machine_json = ?, observed_digest = ?, reread = 0,
                       terminal = 0, problem_reason = NULL, problem_message = NULL, updated_at = ?${set}
       WHERE uid = ? RETURNING *`,
      m.id, m.version ?? null, m.state, JSON.stringify(m), observedDigest(m), now, ...(appliedHash === undefined ? [] : [appliedHash]), uid,
    );
  }

  /** The machine as a list showed it, changed since last recorded: observation only (binding and problem untouched). */
  recordObserved(uid: string, m: Machine, now: number): PodRecord | undefined {
    return this.one(
      "UPDATE pods SET machine_version = ?, machine_state = ?, machine_json = ?, observed_digest = ?, reread = 0, updated_at = ? WHERE uid = ? RETURNING *",
      m.version ?? null, m.state, JSON.stringify(m), observedDigest(m), now, uid,
    );
  }

  /** A call this worker issued (start, destroy) moves the machine into `state`; the last full read stays. */
  expectState(uid: string, state: string, now: number): PodRecord | undefined {
    return this.one("UPDATE pods SET machine_state = ?, reread = 0, updated_at = ? WHERE uid = ? RETURNING *", state, now, uid);
  }

  /** What is recorded of the machine may be stale (a conflict, checks still coming up, not listed): read it before acting. */
  requestReread(uid: string, now: number): void {
    this.sql.exec("UPDATE pods SET reread = 1, updated_at = ? WHERE uid = ?", now, uid);
  }

  /** The machine is gone although the pod should run: unbind it, so the next step creates a new one (never the same UID twice: the old one is gone). */
  forgetMachine(uid: string, now: number): PodRecord | undefined {
    return this.one(
      `UPDATE pods SET machine_id = NULL, machine_version = NULL, machine_state = NULL, applied_hash = NULL, create_intent_at = NULL,
                       machine_json = NULL, reread = 0, updated_at = ? WHERE uid = ? RETURNING *`,
      now, uid,
    );
  }

  /** A graceful stop was issued; the grace period runs from `now`. */
  markStopRequested(uid: string, now: number): void {
    this.sql.exec("UPDATE pods SET stop_requested_at = ?, updated_at = ? WHERE uid = ?", now, now, uid);
  }

  /** The machine's config was changed behind our back: the next step puts the pod's config back. */
  requestConfigUpdate(uid: string, now: number): void {
    this.sql.exec("UPDATE pods SET applied_hash = NULL, updated_at = ? WHERE uid = ?", now, uid);
  }

  /** Why the pod waits or failed (null: no problem). Returns the row only when the problem changed. */
  setProblem(uid: string, problem: Problem | null, now: number): PodRecord | undefined {
    const [terminal, reason, message] = problemArgs(problem);
    return this.one(
      `UPDATE pods SET terminal = ?, problem_reason = ?, problem_message = ?, updated_at = ?
       WHERE uid = ? AND (terminal, coalesce(problem_reason, ''), coalesce(problem_message, '')) IS NOT (?, coalesce(?, ''), coalesce(?, ''))
       RETURNING *`,
      terminal, reason, message, now, uid, terminal, reason, message,
    );
  }

  /** The app is unusable: every pod still waiting for its machine (none yet, no terminal problem) says why. Returns those that changed. */
  setProblemOfWaitingPods(problem: Problem, now: number): PodRecord[] {
    const [terminal, reason, message] = problemArgs(problem);
    return this.sql
      .exec<Row>(
        `UPDATE pods SET terminal = ?, problem_reason = ?, problem_message = ?, updated_at = ?
         WHERE machine_id IS NULL AND terminal = 0 AND (coalesce(problem_reason, ''), coalesce(problem_message, '')) IS NOT (?, ?)
         RETURNING *`,
        terminal, reason, message, now, reason, message,
      )
      .toArray()
      .map((r) => new PodRecord(r as unknown as PodRow));
  }

  /** The status just published to the feed, and its phase. */
  publishStatus(uid: string, statusJson: string, phase: string | null, now: number): void {
    this.sql.exec("UPDATE pods SET status_json = ?, phase = ?, updated_at = ? WHERE uid = ?", statusJson, phase, now, uid);
  }

  /** Forgets a pod for good: the row goes, a tombstone stays so the UID can never come back. */
  bury(uid: string, now: number): void {
    this.sql.exec("DELETE FROM pods WHERE uid = ?", uid);
    this.sql.exec("INSERT OR IGNORE INTO tombstones (uid, deleted_at) VALUES (?, ?)", uid, now);
  }

  private one(query: string, ...args: SqlStorageValue[]): PodRecord | undefined {
    const row = this.sql.exec<Row>(query, ...args).toArray()[0];
    return row ? new PodRecord(row as unknown as PodRow) : undefined;
  }
}
