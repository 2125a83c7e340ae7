/**
 * Owner of the `work` table: due convergence, at most one row per pod ("converge this pod at or
 * after due_at"). `gen` bumps on every schedule, so a step that finishes never drops work
 * scheduled while it ran.
 */
export interface WorkItem {
  uid: string;
  dueAt: number;
  attempts: number;
  gen: number;
  lastError: string | null;
}

type Row = { uid: string; due_at: number; attempts: number; gen: number; last_error: string | null };
const item = (r: Row): WorkItem => ({ uid: r.uid, dueAt: r.due_at, attempts: r.attempts, gen: r.gen, lastError: r.last_error });

export class WorkQueue {
  constructor(private readonly sql: SqlStorage) {}

  /** Converge `uid` no later than `dueAt` (an earlier existing due time wins); resets attempts. */
  schedule(uid: string, dueAt: number): void {
    this.sql.exec(
      `INSERT INTO work (uid, due_at) VALUES (?, ?)
       ON CONFLICT(uid) DO UPDATE SET due_at = min(due_at, excluded.due_at), gen = gen + 1, attempts = 0`,
      uid,
      dueAt,
    );
  }

  /** The step for generation `gen` converged: the row goes, unless the pod was scheduled anew meanwhile. */
  finish(uid: string, gen: number): void {
    this.sql.exec("DELETE FROM work WHERE uid = ? AND gen = ?", uid, gen);
  }

  /** The step for generation `gen` wants another look at `dueAt` (unless newer work was scheduled meanwhile). */
  retryAt(uid: string, gen: number, dueAt: number, error: string | null, countAttempt: boolean): void {
    this.sql.exec("UPDATE work SET due_at = ?, attempts = attempts + ?, last_error = ? WHERE uid = ? AND gen = ?", dueAt, countAttempt ? 1 : 0, error, uid, gen);
  }

  /** The pod is forgotten: no more work for it. */
  forget(uid: string): void {
    this.sql.exec("DELETE FROM work WHERE uid = ?", uid);
  }

  get(uid: string): WorkItem | undefined {
    const row = this.sql.exec<Row>("SELECT * FROM work WHERE uid = ?", uid).toArray()[0];
    return row && item(row);
  }

  due(now: number, limit: number): WorkItem[] {
    return this.sql.exec<Row>("SELECT * FROM work WHERE due_at <= ? ORDER BY due_at LIMIT ?", now, limit).toArray().map(item);
  }

  /** Work whose last step failed: retried with backoff (the status page's "retries"). */
  retrying(limit: number): WorkItem[] {
    return this.sql.exec<Row>("SELECT * FROM work WHERE last_error IS NOT NULL ORDER BY due_at LIMIT ?", limit).toArray().map(item);
  }

  nextDueAt(): number | undefined {
    return this.sql.exec<{ d: number | null }>("SELECT min(due_at) AS d FROM work").one().d ?? undefined;
  }
}
