import type { DecisionView, ReconcilePassView } from "../../ops/status-view";

/** Decisions kept for the status page (the log lines are the full record). */
const KEEP_DECISIONS = 200;
const KEEP_PASSES = 20;

export interface CounterSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * Owner of the `decisions`, `reconcile_passes` and `counters` tables: what the status page and
 * `/metrics` read. Counters live in SQLite so an evicted or restarted object keeps counting from
 * where it was (Prometheus `rate()` needs monotonic counters).
 */
export class OpsStore {
  /** Increments `addLater` holds until the next turn, by name and labels. */
  readonly #later = new Map<string, { name: string; labels: Record<string, string>; by: number }>();

  constructor(private readonly sql: SqlStorage) {}

  addDecision(d: DecisionView, at: number): void {
    const { seq } = this.sql.exec<{ seq: number }>("INSERT INTO decisions (at, json) VALUES (?, ?) RETURNING seq", at, JSON.stringify(d)).one();
    if (seq % 50 === 0) this.sql.exec("DELETE FROM decisions WHERE seq <= ?", seq - KEEP_DECISIONS);
  }

  /** Newest first. */
  decisions(limit = KEEP_DECISIONS): DecisionView[] {
    return this.sql.exec<{ json: string }>("SELECT json FROM decisions ORDER BY seq DESC LIMIT ?", limit).toArray().map((r) => JSON.parse(r.json) as DecisionView);
  }

  addPass(p: ReconcilePassView): void {
    this.sql.exec("INSERT OR REPLACE INTO reconcile_passes (pass, started_at, json) VALUES (?, ?, ?)", p.pass, Date.parse(p.startedAt), JSON.stringify(p));
    this.sql.exec("DELETE FROM reconcile_passes WHERE pass <= ?", p.pass - KEEP_PASSES);
  }

  /** Newest first. */
  passes(): ReconcilePassView[] {
    return this.sql.exec<{ json: string }>("SELECT json FROM reconcile_passes ORDER BY pass DESC").toArray().map((r) => JSON.parse(r.json) as ReconcilePassView);
  }

  add(name: string, labels: Record<string, string>, by = 1): void {
    this.sql.exec(
      "INSERT INTO counters (name, labels, value) VALUES (?, ?, ?) ON CONFLICT(name, labels) DO UPDATE SET value = value + excluded.value",
      name,
      JSON.stringify(labels),
      by,
    );
  }

  /**
   * `add`, written one turn later (in one go with the other increments of that turn). For counts
   * taken on a Machines API call's path: a call made after a write is held until the write is
   * durable (the output gate), and a step's next call follows its previous answer at once. An
   * object that dies within that turn loses those increments: a metric's loss, never state's.
   */
  addLater(name: string, labels: Record<string, string>, by = 1): void {
    if (this.#later.size === 0) setTimeout(() => this.#writeLater(), 0);
    const key = `${name}\u0000${JSON.stringify(labels)}`;
    const held = this.#later.get(key);
    if (held) held.by += by;
    else this.#later.set(key, { name, labels, by });
  }

  #writeLater(): void {
    for (const { name, labels, by } of this.#later.values()) this.add(name, labels, by);
    this.#later.clear();
  }

  /** Every counter, increments held by `addLater` included. */
  counters(): CounterSample[] {
    this.#writeLater();
    return this.sql
      .exec<{ name: string; labels: string; value: number }>("SELECT name, labels, value FROM counters ORDER BY name, labels")
      .toArray()
      .map((r) => ({ name: r.name, labels: JSON.parse(r.labels) as Record<string, string>, value: r.value }));
  }
}
