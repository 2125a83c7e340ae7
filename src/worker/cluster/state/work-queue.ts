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

import { DeferredWrites } from "./deferred-writes";
import { BATCH, execBatched, MAX_ROWS } from "./json-batches";

type Row = { uid: string; due_at: number; attempts: number; gen: number; last_error: string | null };
const item = (r: Row): WorkItem => ({ uid: r.uid, dueAt: r.due_at, attempts: r.attempts, gen: r.gen, lastError: r.last_error });

export class WorkQueue {
  /** Inside `batch`: the schedules not written yet, uid -> earliest due time. */
  readonly #deferred = new DeferredWrites<Map<string, number>>(
    () => new Map(),
    (d) => this.#writeAll([...d].map(([uid, due]) => ({ uid, due }))),
    MAX_ROWS,
  );

  constructor(private readonly sql: SqlStorage) {}

  /** Converge `uid` no later than `dueAt` (an earlier existing due time wins); resets attempts. */
  schedule(uid: string, dueAt: number): void {
    if (!this.#deferred.hold((d) => d.set(uid, Math.min(dueAt, d.get(uid) ?? Infinity)))) this.#writeOne(uid, dueAt);
  }

  #writeOne(uid: string, dueAt: number): void {
    this.sql.exec(
      `INSERT INTO work (uid, due_at) VALUES (?, ?)
       ON CONFLICT(uid) DO UPDATE SET due_at = min(due_at, excluded.due_at), gen = gen + 1, attempts = 0`,
      uid,
      dueAt,
    );
  }

  /** `schedule` for each of `uids`, in one statement per batch. */
  scheduleAll(uids: readonly string[], dueAt: number): void {
    this.#writeAll(uids.map((uid) => ({ uid, due: dueAt })));
  }

  /** Runs `fn` with its schedules written in one statement at its end (DeferredWrites). */
  batch<T>(fn: () => T): T {
    return this.#deferred.batch(fn);
  }

  #writeAll(rows: { uid: string; due: number }[]): void {
    if (rows.length === 0) return;
    if (rows.length === 1) return this.#writeOne(rows[0]!.uid, rows[0]!.due); // a single event's: no JSON batch around it
    execBatched(
      this.sql,
      `${BATCH} INSERT INTO work (uid, due_at) SELECT j.value ->> '$.uid', j.value ->> '$.due' FROM j WHERE true
       ON CONFLICT(uid) DO UPDATE SET due_at = min(due_at, excluded.due_at), gen = gen + 1, attempts = 0`,
      rows,
    );
  }

  /** The step for generation `gen` converged: the row goes, unless the pod was scheduled anew meanwhile. */
  finish(uid: string, gen: number): void {
    this.#deferred.flush();
    this.sql.exec("DELETE FROM work WHERE uid = ? AND gen = ?", uid, gen);
  }

  /** The step for generation `gen` wants another look at `dueAt` (unless newer work was scheduled meanwhile). */
  retryAt(uid: string, gen: number, dueAt: number, error: string | null, countAttempt: boolean): void {
    this.#deferred.flush();
    this.sql.exec("UPDATE work SET due_at = ?, attempts = attempts + ?, last_error = ? WHERE uid = ? AND gen = ?", dueAt, countAttempt ? 1 : 0, error, uid, gen);
  }

  /** The pod is forgotten: no more work for it. */
  forget(uid: string): void {
    this.#deferred.flush();
    this.sql.exec("DELETE FROM work WHERE uid = ?", uid);
  }

  /** `forget` for each of `uids`, one statement per batch. */
  forgetAll(uids: readonly string[]): void {
    this.#deferred.flush();
    if (uids.length) execBatched(this.sql, "DELETE FROM work WHERE uid IN (SELECT value FROM json_each(?))", uids);
  }

  get(uid: string): WorkItem | undefined {
    this.#deferred.flush();
    const row = this.sql.exec<Row>("SELECT * FROM work WHERE uid = ?", uid).toArray()[0];
    return row && item(row);
  }

  due(now: number, limit: number): WorkItem[] {
    this.#deferred.flush();
    return this.sql.exec<Row>("SELECT * FROM work WHERE due_at <= ? ORDER BY due_at LIMIT ?", now, limit).toArray().map(item);
  }

  /** The earliest work due by `now` whose pod is not in `busy` (the pods steps hold now): one row, whatever is due. */
  nextDue(now: number, busy: ReadonlySet<string>): WorkItem | undefined {
    this.#deferred.flush();
    const row = this.sql.exec<Row>("SELECT * FROM work WHERE due_at <= ? AND uid NOT IN (SELECT value FROM json_each(?)) ORDER BY due_at LIMIT 1", now, JSON.stringify([...busy])).toArray()[0];
    return row && item(row);
  }

  /** Work whose last step failed: retried with backoff (the status page's "retries"). */
  retrying(limit: number): WorkItem[] {
    this.#deferred.flush();
    return this.sql.exec<Row>("SELECT * FROM work WHERE last_error IS NOT NULL ORDER BY due_at LIMIT ?", limit).toArray().map(item);
  }

  nextDueAt(): number | undefined {
    this.#deferred.flush();
    return this.sql.exec<{ d: number | null }>("SELECT min(due_at) AS d FROM work").one().d ?? undefined;
  }
}
