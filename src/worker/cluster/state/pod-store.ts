/**
 * Owner of the `pods` and `tombstones` tables. Everything that changes a pod's row is a named
 * transition below: one statement, `updated_at` bumped, its invariant stated. Transitions that
 * callers publish status after return the row as written (`RETURNING`), so nobody reads it again.
 */
import type { Machine } from "../../../machines/schemas";
import type { Pod } from "../../../shared/k8s";
import type { Problem } from "../../translate/machine-facts";
import { DeferredWrites } from "./deferred-writes";
import { BATCH, execBatched, MAX_ROWS } from "./json-batches";
import { insertAdmissions, type Admission } from "./pod-admissions";
import { PodReads } from "./pod-reads";
import { PodRefStore } from "./pod-refs";
import { machineColumnsOf, PodRecord, type Desired, type DesiredView, type Lookup, type NewPod, type PodRow, type ReconcileEntry, type SpecRevision, type StatusToStore } from "./pod-record";

export { PodRecord, type Desired, type DesiredView, type Lookup, type NewPod, type ReconcileEntry, type SpecRevision, type StatusToStore };

type Row = Record<string, SqlStorageValue>;
const json = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));
const listJson = (v: string[]): string | null => (v.length ? JSON.stringify(v) : null);
const problemArgs = (p: Problem | null): [number, string | null, string | null] => (p ? [p.terminal ? 1 : 0, p.reason, p.message] : [0, null, null]);

export class PodStore extends PodReads {
  /** The index of what each pod references, kept by the transitions below. */
  readonly refs: PodRefStore;
  /** Inside `batchAdmissions`: the admitted pods not written yet, in order. */
  readonly #admissions = new DeferredWrites<Admission[]>(
    () => [],
    (d) => insertAdmissions(this.sql, this.refs, d),
    MAX_ROWS,
  );

  constructor(sql: SqlStorage) {
    super(sql);
    this.refs = new PodRefStore(sql);
  }

  // ---- desired state (intake)

  /**
   * A pod seen for the first time; it wants to run. Invariant: its UID is neither stored nor
   * tombstoned. `statusOf` computes the status of the row as it will be written, which is
   * stored with it; the returned record carries it. Inside `batchAdmissions` the row is written
   * with the others at the batch's end or before the next statement on this storage, whichever
   * comes first (see `openClusterState`), so no statement ever misses it. `found`: the pod's
   * machine, listed with this cluster's metadata and its UID (a snapshot after a loss of state),
   * bound as `recordMachines` binds it, in the same single write.
   */
  admit(p: NewPod, now: number, statusOf: (rec: PodRecord) => StatusToStore | undefined, found?: { m: Machine; appliedHash: string | null }): PodRecord {
    const [terminal, reason, message] = problemArgs(p.problem);
    const row: PodRow = {
      uid: p.uid, namespace: p.namespace, name: p.name, resource_version: p.resourceVersion, desired: "run", pod_json: JSON.stringify(p.pod),
      config_json: json(p.config), config_hash: p.configHash, region: p.region, machine_name: p.machineName, grace_s: p.graceS,
      machine_id: null, machine_version: null, applied_hash: null, machine_state: null, machine_json: null, create_intent_at: null,
      stop_requested_at: null, status_json: null, updated_at: now, unhonoured_json: listJson(p.unhonoured), observed_digest: null,
      terminal, problem_reason: reason, problem_message: message, phase: null, reread: 0, min_secrets_version: p.minSecretsVersion, spare_key: null, machine_since: null,
    };
    const admitted = new PodRecord(row, { pod: p.pod, config: p.config });
    const bound = found ? admitted.withMachine(found.m, found.appliedHash, now) : admitted;
    const status = statusOf(bound);
    const rec = status ? bound.withStatus(status) : bound;
    const admission = { row: rec.stored, refs: this.refs.admittedRows(p.uid, p.namespace, p.pod, p.config) };
    if (!this.#admissions.hold((d) => d.push(admission))) insertAdmissions(this.sql, this.refs, [admission]);
    return rec;
  }

  /** Runs `fn` with its admissions written together at its end (DeferredWrites). */
  batchAdmissions<T>(fn: () => T): T {
    return this.#admissions.batch(fn);
  }

  /** Writes the admissions held back, if any. Must run before any other statement on this storage. */
  flushAdmissions(): void {
    this.#admissions.flush();
  }

  /**
   * A newer copy of the pod that still runs. A changed config replaces config, hash and problem
   * (a pod that cannot run gets its terminal problem, one that can is cleared of it).
   */
  reviseSpec(uid: string, r: SpecRevision, now: number): PodRecord {
    const common = [r.resourceVersion, JSON.stringify(r.pod), r.graceS, listJson(r.unhonoured), now];
    if (!r.translation) {
      return this.one({ pod: r.pod }, "UPDATE pods SET resource_version = ?, pod_json = ?, grace_s = ?, unhonoured_json = ?, updated_at = ? WHERE uid = ? RETURNING *", ...common, uid)!;
    }
    const t = r.translation;
    const rec = this.one(
      { pod: r.pod, config: t.config },
      `UPDATE pods SET resource_version = ?, pod_json = ?, grace_s = ?, unhonoured_json = ?, updated_at = ?,
                       config_json = ?, config_hash = ?, min_secrets_version = ?, region = ?, terminal = ?, problem_reason = ?, problem_message = ?
       WHERE uid = ? RETURNING *`,
      ...common, json(t.config), t.configHash, t.minSecretsVersion, t.region, ...problemArgs(t.problem), uid,
    )!;
    this.refs.configChanged(uid, rec.namespace, t.config);
    return rec;
  }

  /** The pod is terminating (`deletionTimestamp`): stop its machine with `graceS`, then destroy it. Only from `run`. */
  markDeleting(uid: string, resourceVersion: string, graceS: number, pod: Pod, now: number): PodRecord {
    return this.one(
      { pod },
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
   * `appliedHash` (when given) is the hash of the config the machine now carries. `from` is the
   * pod's record as the caller read it (its parses are reused where the row did not change).
   */
  recordMachine(from: PodRecord, m: Machine, now: number, appliedHash?: string | null): PodRecord | undefined {
    const set = appliedHash === undefined ? "" : ", applied_hash = ?";
    const { kept, columns: c } = machineColumnsOf(m);
    return this.one(
      { machine: kept, from },
      `UPDATE pods SET machine_id = ?, machine_version = ?, machine_state = ?, machine_json = ?, observed_digest = ?, reread = 0,
                       terminal = 0, problem_reason = NULL, problem_message = NULL, updated_at = ?${set}
       WHERE uid = ? RETURNING *`,
      c.machine_id, c.machine_version, c.machine_state, c.machine_json, c.observed_digest, now, ...(appliedHash === undefined ? [] : [appliedHash]), from.uid,
    );
  }

  /**
   * `recordMachine` with `appliedHash` for many pods at once (a reconcile adopting the machines
   * of thousands of pods after a loss of state): one statement per batch, nothing read back.
   * Each row is written once, with the status `statusOf` computes for it as written (as `admit`
   * does). `from` must be the pod's row as stored now (read in the same synchronous run, so the
   * record built from it is the row as written). Returns the records, in the order of `items`.
   */
  recordMachines(items: ReadonlyArray<{ from: PodRecord; m: Machine; appliedHash: string | null }>, now: number, statusOf: (rec: PodRecord) => StatusToStore | undefined): PodRecord[] {
    const written = items.map(({ from, m, appliedHash }) => {
      const bound = from.withMachine(m, appliedHash, now);
      const status = statusOf(bound);
      return status ? bound.withStatus(status) : bound;
    });
    execBatched(
      this.sql,
      `${BATCH} UPDATE pods SET machine_id = j.value ->> '$.machine_id', machine_version = j.value ->> '$.machine_version', machine_state = j.value ->> '$.machine_state',
                       machine_json = j.value ->> '$.machine_json', observed_digest = j.value ->> '$.observed_digest', applied_hash = j.value ->> '$.applied_hash', reread = 0,
                       terminal = 0, problem_reason = NULL, problem_message = NULL, status_json = j.value ->> '$.status_json', phase = j.value ->> '$.phase', updated_at = ?
       FROM j WHERE pods.uid = j.value ->> '$.uid'`,
      written.map((rec) => rec.machineColumns),
      now,
    );
    return written;
  }

  /**
   * The pod took over spare machine `m` (its claim update answered): bound as by `recordMachine`,
   * with `since` (Fly's clock, ms) where the pod's own events start. The spare's row goes in the
   * same transaction (the caller's).
   */
  bindSpare(from: PodRecord, m: Machine, since: number, now: number): PodRecord | undefined {
    const { kept, columns: c } = machineColumnsOf(m);
    return this.one(
      { machine: kept, from },
      `UPDATE pods SET machine_id = ?, machine_version = ?, machine_state = ?, machine_json = ?, observed_digest = ?, reread = 0, machine_since = ?,
                       applied_hash = config_hash, create_intent_at = NULL, terminal = 0, problem_reason = NULL, problem_message = NULL, updated_at = ?
       WHERE uid = ? RETURNING *`,
      c.machine_id, c.machine_version, c.machine_state, c.machine_json, c.observed_digest, since, now, from.uid,
    );
  }

  /** The template whose spares the pod may take and leave (null: none); noted when its machine is made or claimed. */
  setSpareKey(uid: string, key: string | null, now: number): void {
    this.sql.exec("UPDATE pods SET spare_key = ?, updated_at = ? WHERE uid = ? AND spare_key IS NOT ?", key, now, uid, key);
  }

  /** The machine as a list showed it, changed since last recorded: observation only (binding and problem untouched). */
  recordObserved(uid: string, m: Machine, now: number): PodRecord | undefined {
    const { kept, columns: c } = machineColumnsOf(m);
    return this.one(
      { machine: kept },
      "UPDATE pods SET machine_version = ?, machine_state = ?, machine_json = ?, observed_digest = ?, reread = 0, updated_at = ? WHERE uid = ? RETURNING *",
      c.machine_version, c.machine_state, c.machine_json, c.observed_digest, now, uid,
    );
  }

  /** A call this worker issued (start, destroy) moves the machine into `state`; the last full read stays. */
  expectState(uid: string, state: string, now: number): PodRecord | undefined {
    return this.one({}, "UPDATE pods SET machine_state = ?, reread = 0, updated_at = ? WHERE uid = ? RETURNING *", state, now, uid);
  }

  /** What is recorded of the machine may be stale (a conflict, checks still coming up, not listed): read it before acting. */
  requestReread(uid: string, now: number): void {
    this.sql.exec("UPDATE pods SET reread = 1, updated_at = ? WHERE uid = ?", now, uid);
  }

  /** The machine is gone although the pod should run: unbind it, so the next step creates a new one (never the same UID twice: the old one is gone). */
  forgetMachine(uid: string, now: number): PodRecord | undefined {
    return this.one(
      {},
      `UPDATE pods SET machine_id = NULL, machine_version = NULL, machine_state = NULL, applied_hash = NULL, create_intent_at = NULL,
                       machine_json = NULL, machine_since = NULL, reread = 0, updated_at = ? WHERE uid = ? RETURNING *`,
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
      {},
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

  /** Forgets a pod for good: the row goes, a tombstone stays (TOMBSTONE_RETENTION_MS) so a late copy cannot bring the UID back. */
  bury(uid: string, now: number): void {
    this.sql.exec("DELETE FROM pods WHERE uid = ?", uid);
    this.refs.forget(uid);
    this.sql.exec("INSERT OR IGNORE INTO tombstones (uid, deleted_at) VALUES (?, ?)", uid, now);
  }

  /** Drops the tombstones of pods forgotten before `before`; returns how many. */
  pruneTombstones(before: number): number {
    return this.sql.exec("DELETE FROM tombstones WHERE deleted_at < ? RETURNING uid", before).toArray().length;
  }

  /** Runs a `... RETURNING *` and wraps the row; `parsed` as for the PodRecord constructor. */
  private one(parsed: ConstructorParameters<typeof PodRecord>[1], query: string, ...args: SqlStorageValue[]): PodRecord | undefined {
    const row = this.sql.exec<Row>(query, ...args).toArray()[0];
    return row ? new PodRecord(row as unknown as PodRow, parsed) : undefined;
  }
}
