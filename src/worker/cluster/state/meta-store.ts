/**
 * Owner of the `meta` table: the cluster's own facts, one value per key. Read through an
 * in-memory copy (this object is the table's only writer), so the hot path pays no query for them.
 */
export interface Meta {
  /** The cluster name, recorded on first contact (the object's name is not readable inside it). */
  cluster: string;
  /** The app name once it is known to exist. */
  app_ready: string;
  /** Failed app checks in a row (backoff) and the last reason. */
  app_attempts: number;
  app_error: string;
  /** Number of the last reconcile pass. */
  reconcile_pass: number;
  /** The last pass that swept orphans (reconcile.ts: two consecutive sweeps must see one). */
  orphan_sweep_pass: number;
  /** Unix ms of the next periodic pass. */
  next_reconcile_at: number;
  /** The cluster app's Flycast address, where app ports are served (Services). */
  cluster_flycast: string;
  /** The org the cluster app is in (FLY_ORG, else read from the app): Service apps are created there. */
  org: string;
}

type Key = keyof Meta;
const NUMERIC: ReadonlySet<Key> = new Set(["app_attempts", "reconcile_pass", "orphan_sweep_pass", "next_reconcile_at"]);

export class MetaStore {
  private readonly values = new Map<Key, string>();

  constructor(private readonly sql: SqlStorage) {
    for (const { key, value } of sql.exec<{ key: string; value: string }>("SELECT key, value FROM meta")) this.values.set(key as Key, value);
  }

  get<K extends Key>(key: K): Meta[K] | undefined {
    const v = this.values.get(key);
    if (v === undefined) return undefined;
    return (NUMERIC.has(key) ? Number(v) : v) as Meta[K];
  }

  /** The cluster name; throws before the first contact recorded it. */
  cluster(): string {
    const c = this.get("cluster");
    if (!c) throw new Error("cluster name not recorded yet");
    return c;
  }

  set<K extends Key>(key: K, value: Meta[K]): void {
    const v = String(value);
    if (this.values.get(key) === v) return;
    this.sql.exec("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", key, v);
    this.values.set(key, v);
  }
}
