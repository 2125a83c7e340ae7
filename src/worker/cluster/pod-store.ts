/** Typed access to the `pods`, `tombstones` and `work` tables of one cluster's SQLite storage. */
export type Desired = "run" | "delete" | "destroy";

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
  problem_json: string | null;
  status_json: string | null;
  updated_at: number;
  /** JSON array of "<field path>: <why>" the machine does not honour. */
  unhonoured_json: string | null;
  /** `observedDigest` of the machine as last recorded. */
  observed_digest: string | null;
}

/** The columns a reconcile pass compares for every pod; the rest is read only where it acts. */
export type ReconcileRow = Pick<PodRow, "uid" | "desired" | "machine_id" | "machine_version" | "machine_state" | "applied_hash" | "config_hash" | "observed_digest"> & {
  terminal: number;
};

export interface WorkRow {
  uid: string;
  due_at: number;
  attempts: number;
  gen: number;
  last_error: string | null;
}

type Row = Record<string, SqlStorageValue>;

export class PodStore {
  constructor(private readonly sql: SqlStorage) {}

  get(uid: string): PodRow | undefined {
    return this.sql.exec<Row>("SELECT * FROM pods WHERE uid = ?", uid).toArray()[0] as PodRow | undefined;
  }

  resourceVersionOf(uid: string): string | undefined {
    return this.sql.exec<{ rv: string }>("SELECT resource_version AS rv FROM pods WHERE uid = ?", uid).toArray()[0]?.rv;
  }

  reconcileIndex(): Map<string, ReconcileRow> {
    const rows = this.sql
      .exec<Row>(
        `SELECT uid, desired, machine_id, machine_version, machine_state, applied_hash, config_hash, observed_digest,
                coalesce(problem_json LIKE '%"terminal":true%', 0) AS terminal
         FROM pods`,
      )
      .toArray() as unknown as ReconcileRow[];
    return new Map(rows.map((r) => [r.uid, r]));
  }

  all(): PodRow[] {
    return this.sql.exec<Row>("SELECT * FROM pods").toArray() as unknown as PodRow[];
  }

  count(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM pods").one().n;
  }

  isTombstoned(uid: string): boolean {
    return this.sql.exec("SELECT 1 FROM tombstones WHERE uid = ?", uid).toArray().length > 0;
  }

  insert(row: PodRow): void {
    const cols = Object.keys(row);
    this.sql.exec(
      `INSERT INTO pods (${cols.join(",")}) VALUES (${cols.map(() => "?").join(",")})`,
      ...cols.map((c) => row[c as keyof PodRow]),
    );
  }

  /** Updates the given columns of an existing row; `updated_at` is always bumped. */
  update(uid: string, patch: Partial<Omit<PodRow, "uid">>): void {
    const entries = Object.entries({ ...patch, updated_at: Date.now() });
    this.sql.exec(
      `UPDATE pods SET ${entries.map(([k]) => `${k} = ?`).join(", ")} WHERE uid = ?`,
      ...entries.map(([, v]) => v as SqlStorageValue),
      uid,
    );
  }

  /** Forgets a pod for good: the row goes, a tombstone stays so the UID can never come back. */
  bury(uid: string): void {
    this.sql.exec("DELETE FROM pods WHERE uid = ?", uid);
    this.sql.exec("DELETE FROM work WHERE uid = ?", uid);
    this.sql.exec("INSERT OR IGNORE INTO tombstones (uid, deleted_at) VALUES (?, ?)", uid, Date.now());
  }

  // ---- due work: at most one row per pod; "converge this pod at or after due_at"

  /** Schedules convergence no later than `dueAt` (an earlier existing due time wins); resets attempts. */
  schedule(uid: string, dueAt: number): void {
    this.sql.exec(
      `INSERT INTO work (uid, due_at) VALUES (?, ?)
       ON CONFLICT(uid) DO UPDATE SET due_at = min(due_at, excluded.due_at), gen = gen + 1, attempts = 0`,
      uid,
      dueAt,
    );
  }

  /**
   * Ends a step that ran for work generation `gen`: `dueAt` undefined means converged (the row
   * goes), else look again then. If the pod was scheduled anew meanwhile, that newer work stays.
   */
  finishStep(uid: string, gen: number, dueAt: number | undefined, error: string | null, countAttempt: boolean): void {
    if (dueAt === undefined) {
      this.sql.exec("DELETE FROM work WHERE uid = ? AND gen = ?", uid, gen);
      return;
    }
    this.sql.exec(
      "UPDATE work SET due_at = ?, attempts = attempts + ?, last_error = ? WHERE uid = ? AND gen = ?",
      dueAt,
      countAttempt ? 1 : 0,
      error,
      uid,
      gen,
    );
  }

  work(uid: string): WorkRow | undefined {
    return this.sql.exec<Row>("SELECT * FROM work WHERE uid = ?", uid).toArray()[0] as WorkRow | undefined;
  }

  due(now: number, limit: number): WorkRow[] {
    return this.sql.exec<Row>("SELECT * FROM work WHERE due_at <= ? ORDER BY due_at LIMIT ?", now, limit).toArray() as unknown as WorkRow[];
  }

  nextDueAt(): number | undefined {
    const row = this.sql.exec<{ d: number | null }>("SELECT min(due_at) AS d FROM work").one();
    return row.d ?? undefined;
  }
}
