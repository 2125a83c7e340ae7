/**
 * Owner of the `objects` and `object_tombstones` tables: Services, Secrets, ConfigMaps and PVCs as
 * the relay last sent them (newest resourceVersion wins), for the mappings that read them, and the
 * UIDs deleted, so that a late copy of a deleted object is not taken again.
 */
export interface StoredObject {
  uid: string;
  kind: string;
  namespace: string;
  name: string;
  resourceVersion: string;
  object: unknown;
}

export class ObjectStore {
  #generation = 0;

  constructor(private readonly sql: SqlStorage) {}

  /** Changes with every write through this store: a reader may keep what it read while it stays the same. */
  get generation(): number {
    return this.#generation;
  }

  resourceVersionOf(uid: string): string | undefined {
    return this.sql.exec<{ rv: string }>("SELECT resource_version AS rv FROM objects WHERE uid = ?", uid).toArray()[0]?.rv;
  }

  /** Stores a newer version (the caller checked it is newer). */
  put(o: StoredObject, now: number): void {
    this.#generation++;
    this.sql.exec(
      `INSERT INTO objects (uid, kind, namespace, name, resource_version, object_json, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(uid) DO UPDATE SET resource_version = excluded.resource_version, object_json = excluded.object_json, updated_at = excluded.updated_at`,
      o.uid, o.kind, o.namespace, o.name, o.resourceVersion, JSON.stringify(o.object), now,
    );
  }

  /**
   * The object is deleted: its row goes and its tombstone stays (made even for a UID never stored,
   * so a copy still on its way cannot bring it back). Says whether it was stored.
   */
  remove(uid: string, now: number): boolean {
    this.#generation++;
    this.sql.exec("INSERT OR IGNORE INTO object_tombstones (uid, deleted_at) VALUES (?, ?)", uid, now);
    return this.sql.exec("DELETE FROM objects WHERE uid = ? RETURNING uid", uid).toArray().length > 0;
  }

  /** Whether the UID was deleted (Kubernetes never reuses one). */
  isDeleted(uid: string): boolean {
    return this.sql.exec("SELECT 1 FROM object_tombstones WHERE uid = ?", uid).toArray().length > 0;
  }

  /** Drops the tombstones of objects deleted before `before`; returns how many. */
  pruneTombstones(before: number): number {
    return this.sql.exec("DELETE FROM object_tombstones WHERE deleted_at < ? RETURNING uid", before).toArray().length;
  }

  /** Every stored object of `kind` (in `namespace`, when given), by name. */
  listKind(kind: string, namespace?: string): StoredObject[] {
    const rows = namespace === undefined
      ? this.sql.exec<Row>("SELECT * FROM objects WHERE kind = ? ORDER BY namespace, name", kind)
      : this.sql.exec<Row>("SELECT * FROM objects WHERE kind = ? AND namespace = ? ORDER BY name", kind, namespace);
    return rows.toArray().map(toStored);
  }

  uidsOfKind(kind: string): string[] {
    return this.sql.exec<{ uid: string }>("SELECT uid FROM objects WHERE kind = ?", kind).toArray().map((r) => r.uid);
  }

  /** A top-level string field of the stored object of `kind` named `namespace/name`, read without parsing the object. */
  stringField(kind: string, namespace: string, name: string, field: string): string | undefined {
    const row = this.sql.exec<{ v: SqlStorageValue }>("SELECT json_extract(object_json, ?) AS v FROM objects WHERE kind = ? AND namespace = ? AND name = ?", `$.${field}`, kind, namespace, name).toArray()[0];
    return typeof row?.v === "string" ? row.v : undefined;
  }

  /** The stored object of `kind` named `namespace/name`, if any. */
  find(kind: string, namespace: string, name: string): StoredObject | undefined {
    const uid = this.sql.exec<{ uid: string }>("SELECT uid FROM objects WHERE kind = ? AND namespace = ? AND name = ?", kind, namespace, name).toArray()[0]?.uid;
    return uid === undefined ? undefined : this.get(uid);
  }

  get(uid: string): StoredObject | undefined {
    const r = this.sql.exec<Row>("SELECT * FROM objects WHERE uid = ?", uid).toArray()[0];
    return r && toStored(r);
  }
}

type Row = { uid: string; kind: string; namespace: string; name: string; resource_version: string; object_json: string };
const toStored = (r: Row): StoredObject => ({ uid: r.uid, kind: r.kind, namespace: r.namespace, name: r.name, resourceVersion: r.resource_version, object: JSON.parse(r.object_json) });
