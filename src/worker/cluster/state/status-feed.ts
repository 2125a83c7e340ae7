import type { FeedEntry, FeedPage } from "../../../shared/contract";
import { DeferredWrites } from "./deferred-writes";
import { MAX_ROWS as MAX_HELD } from "./json-batches";

/**
 * Owner of the `status_feed` table. The ordered feed of pod status changes the relay follows (contract: GET .../status).
 * Delivery is at least once: a reader asking `after=N` acknowledges everything up to N, which
 * is then compacted away; a reader starting from 0 (or from a cursor this store never issued)
 * first gets every known pod's current status.
 */
const PAGE = 500;
/** `OR FAIL`: no statement journal for a single-row insert (pod-admissions.ts says why). */
const INSERT = "INSERT OR FAIL INTO status_feed (uid, namespace, name, status_json, gone, at) VALUES (?, ?, ?, ?, ?, ?) RETURNING seq";
/** Unacknowledged history kept before older entries of pods with a newer entry are dropped. */
const MAX_ROWS = 20_000;

type Row = { seq: number; uid: string; namespace: string; name: string; status_json: string; gone: number };

export interface FeedAppend {
  uid: string;
  namespace: string;
  name: string;
  statusJson: string;
  gone: boolean;
}

/** A feed entry as a page carries it. */
const entryOf = (uid: string, namespace: string, name: string, statusJson: string, gone: boolean): FeedEntry => ({ uid, namespace, name, status: JSON.parse(statusJson) as FeedEntry["status"], gone });

export class StatusFeed {
  private waiters = new Set<() => void>();
  /** Entries shown before they are written (`showEarly`), by pod, for one turn. */
  readonly #early = new Map<string, FeedEntry>();
  /** Inside `batch`: the entries not written yet, in order, each with its time. */
  readonly #deferred = new DeferredWrites<Array<FeedAppend & { at: number }>>(
    () => [],
    (d) => this.#write(d),
    MAX_HELD,
  );

  constructor(private readonly sql: SqlStorage) {}

  append(entry: FeedAppend, now: number): void {
    if (!this.#deferred.hold((d) => d.push({ ...entry, at: now }))) this.appendAll([entry], now);
  }

  /**
   * Shows `entry` to readers now, for this turn only, before the append that writes it a turn
   * later: a write in this turn would hold their answer until it is durable (the output gate). A
   * page carries it after the written entries without moving its cursor past them, so a reader
   * gets it again once it is written (at least once). Lost with the instance, it is only a status
   * shown early: the observation it came from is made again.
   */
  showEarly(entry: FeedAppend): void {
    this.#early.set(entry.uid, entryOf(entry.uid, entry.namespace, entry.name, entry.statusJson, entry.gone));
    setTimeout(() => this.#early.delete(entry.uid), 0);
    this.#wake();
  }

  /** Appends `entries` in order. */
  appendAll(entries: readonly FeedAppend[], now: number): void {
    this.#write(entries.map((e) => ({ ...e, at: now })));
  }

  /** Runs `fn` with its appends written together at its end, in order (DeferredWrites). */
  batch<T>(fn: () => T): T {
    return this.#deferred.batch(fn);
  }

  #write(rows: ReadonlyArray<FeedAppend & { at: number }>): void {
    if (rows.length === 0) return;
    const last = this.#insert(rows);
    const first = last - rows.length + 1;
    // Every 1000 entries, see whether unacknowledged history outgrew its bound. The span of
    // sequence numbers bounds the count from above and costs one index probe, not a scan.
    if (Math.floor(last / 1000) > Math.floor((first - 1) / 1000) && last - this.#oldestSeq() + 1 > MAX_ROWS && this.size() > MAX_ROWS) this.compactSuperseded();
    for (const r of rows) this.#early.delete(r.uid);
    this.#wake();
  }

  #wake(): void {
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  /**
   * The last row's sequence number. One prepared INSERT per row, not a JSON batch: each row
   * carries a status of a kilobyte or more, which a batch would escape into one large string for
   * SQLite to parse again (pod-admissions.ts has the measurement).
   */
  #insert(rows: ReadonlyArray<FeedAppend & { at: number }>): number {
    let seq = 0;
    for (const r of rows) seq = this.sql.exec<{ seq: number }>(INSERT, r.uid, r.namespace, r.name, r.statusJson, r.gone ? 1 : 0, r.at).one().seq;
    return seq;
  }

  /** When the oldest entry the relay has not acknowledged was appended; undefined when it is caught up. */
  oldestPendingAt(): number | undefined {
    this.#deferred.flush();
    return this.sql.exec<{ at: number | null }>("SELECT min(at) AS at FROM status_feed").one().at ?? undefined;
  }

  /** Entries after `after`, waiting up to `waitMs` for one when there are none. */
  async read(after: number, waitMs: number, currentPods: () => FeedEntry[]): Promise<FeedPage> {
    this.#deferred.flush();
    const last = this.lastSeq();
    if (after > last) after = 0;
    if (after === 0) {
      const pods = currentPods();
      if (pods.length > 0 || last > 0) return { cursor: String(last), pods };
    } else {
      this.sql.exec("DELETE FROM status_feed WHERE seq <= ?", after);
    }
    let page = this.page(after);
    if (page.length === 0 && this.#early.size === 0 && waitMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.waiters.delete(done);
          resolve();
        }, waitMs);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        this.waiters.add(done);
      });
      page = this.page(after);
    }
    const cursor = page.length ? page[page.length - 1]!.seq : after;
    return {
      cursor: String(cursor),
      pods: [...page.map((r) => entryOf(r.uid, r.namespace, r.name, r.status_json, r.gone === 1)), ...this.#early.values()],
    };
  }

  private page(after: number): Row[] {
    this.#deferred.flush();
    return this.sql.exec<Row>("SELECT seq, uid, namespace, name, status_json, gone FROM status_feed WHERE seq > ? ORDER BY seq LIMIT ?", after, PAGE).toArray();
  }

  lastSeq(): number {
    this.#deferred.flush();
    const row = this.sql.exec<{ s: number | null }>("SELECT max(seq) AS s FROM status_feed").one();
    if (row.s !== null) return row.s;
    // Empty after compaction: AUTOINCREMENT remembers the last seq in sqlite_sequence.
    return this.#lastIssued();
  }

  /** The last sequence number AUTOINCREMENT gave (0 before the first entry). */
  #lastIssued(): number {
    return this.sql.exec<{ seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'status_feed'").toArray()[0]?.seq ?? 0;
  }

  #oldestSeq(): number {
    return this.sql.exec<{ s: number | null }>("SELECT min(seq) AS s FROM status_feed").one().s ?? 0;
  }

  private size(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM status_feed").one().n;
  }

  /** Keeps only the newest unacknowledged entry per pod: a reader still sees every pod's latest status, in order. */
  private compactSuperseded(): void {
    this.sql.exec("DELETE FROM status_feed WHERE seq NOT IN (SELECT max(seq) FROM status_feed GROUP BY uid)");
  }
}
