/**
 * Versioned schema of a cluster's SQLite storage: the only place tables are shaped. Each table has
 * one store in this directory that owns it (pods + tombstones: PodStore; work: WorkQueue; objects:
 * ObjectStore; orphans: OrphanStore; meta: MetaStore; status_feed: StatusFeed; fly_secrets: FlySecretStore; claim_volumes: ClaimVolumeStore; volume_orphans: VolumeOrphanStore; service_apps: ServiceAppStore; pod_refs: PodRefStore, through PodStore; spares + spare_templates: SpareStore); nothing else runs SQL.
 * A new table: append a migration here, add its store beside the others, construct it in
 * `ClusterState`. Append only: a shipped migration never changes;
 * `user_version`-style bookkeeping lives in `schema_version` so a test can start from any older version.
 */
export const MIGRATIONS: readonly string[] = [
  // v1: cluster meta, pods, tombstones, due work (`gen` bumps on every schedule so a finishing step never drops newer work)
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE pods (
     uid TEXT PRIMARY KEY,
     namespace TEXT NOT NULL,
     name TEXT NOT NULL,
     resource_version TEXT NOT NULL,
     desired TEXT NOT NULL CHECK (desired IN ('run', 'delete', 'destroy')),
     pod_json TEXT NOT NULL,
     config_json TEXT,
     config_hash TEXT,
     region TEXT,
     machine_name TEXT NOT NULL,
     grace_s INTEGER NOT NULL DEFAULT 30,
     machine_id TEXT,
     machine_version TEXT,
     applied_hash TEXT,
     machine_state TEXT,
     machine_json TEXT,
     create_intent_at INTEGER,
     stop_requested_at INTEGER,
     problem_json TEXT,
     status_json TEXT,
     updated_at INTEGER NOT NULL
   );
   CREATE INDEX pods_by_machine ON pods(machine_id);
   CREATE TABLE tombstones (uid TEXT PRIMARY KEY, deleted_at INTEGER NOT NULL);
   CREATE TABLE work (
     uid TEXT PRIMARY KEY,
     due_at INTEGER NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     gen INTEGER NOT NULL DEFAULT 0,
     last_error TEXT
   );
   CREATE INDEX work_by_due ON work(due_at);`,
  // v2: objects of the other kinds (stored for the issues that map them), the status feed, and
  // machines of this cluster whose pod is unknown (destroyed when seen on two consecutive passes)
  `CREATE TABLE objects (
     uid TEXT PRIMARY KEY,
     kind TEXT NOT NULL,
     namespace TEXT NOT NULL,
     name TEXT NOT NULL,
     resource_version TEXT NOT NULL,
     object_json TEXT NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE INDEX objects_by_kind ON objects(kind, namespace, name);
   CREATE TABLE status_feed (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     uid TEXT NOT NULL,
     namespace TEXT NOT NULL,
     name TEXT NOT NULL,
     status_json TEXT NOT NULL,
     gone INTEGER NOT NULL DEFAULT 0,
     at INTEGER NOT NULL
   );
   CREATE TABLE orphans (machine_id TEXT PRIMARY KEY, uid TEXT, last_pass INTEGER NOT NULL);`,
  // v3: what the machine does not honour of the pod, shown in its status
  `ALTER TABLE pods ADD COLUMN unhonoured_json TEXT;`,
  // v4: a digest of the machine as last observed, so an idle reconcile compares strings, not JSON
  `ALTER TABLE pods ADD COLUMN observed_digest TEXT;`,
  // v5: what is queried gets a real column (the problem's parts, terminal, the status phase), and a
  // requested re-read of the machine is a flag of its own instead of a null machine_state
  `ALTER TABLE pods ADD COLUMN terminal INTEGER NOT NULL DEFAULT 0 CHECK (terminal IN (0, 1));
   ALTER TABLE pods ADD COLUMN problem_reason TEXT;
   ALTER TABLE pods ADD COLUMN problem_message TEXT;
   ALTER TABLE pods ADD COLUMN phase TEXT;
   ALTER TABLE pods ADD COLUMN reread INTEGER NOT NULL DEFAULT 0 CHECK (reread IN (0, 1));
   UPDATE pods SET
     terminal = coalesce(json_extract(problem_json, '$.terminal'), 0),
     problem_reason = json_extract(problem_json, '$.reason'),
     problem_message = json_extract(problem_json, '$.message'),
     phase = json_extract(status_json, '$.phase'),
     reread = (machine_id IS NOT NULL AND machine_state IS NULL);
   ALTER TABLE pods DROP COLUMN problem_json;`,
  // v6: the Fly secrets version a pod's machine needs (min_secrets_version), and the Kubernetes
  // Secret keys written to Fly: a digest of the value written (never the value) and the version it got
  `ALTER TABLE pods ADD COLUMN min_secrets_version INTEGER NOT NULL DEFAULT 0;
   CREATE TABLE fly_secrets (
     namespace TEXT NOT NULL,
     secret TEXT NOT NULL,
     key TEXT NOT NULL,
     digest TEXT NOT NULL,
     version INTEGER NOT NULL,
     written_at INTEGER NOT NULL,
     PRIMARY KEY (namespace, secret, key)
   );`,
  // v7: the cluster app's port standing for each Service port (Services: README), unique in the cluster
  `CREATE TABLE app_ports (
     key TEXT PRIMARY KEY,
     service_uid TEXT NOT NULL,
     app_port INTEGER NOT NULL UNIQUE
   );`,
  // v8: the Fly Volume of each PersistentVolumeClaim (one per claim UID; kept across pod recreation)
  `CREATE TABLE claim_volumes (
     claim_uid TEXT PRIMARY KEY,
     namespace TEXT NOT NULL,
     name TEXT NOT NULL,
     volume_name TEXT NOT NULL,
     volume_id TEXT,
     region TEXT,
     size_gb INTEGER,
     create_intent_at INTEGER,
     retain INTEGER NOT NULL DEFAULT 0 CHECK (retain IN (0, 1)),
     updated_at INTEGER NOT NULL
   );`,
  // v9: what operators see: the recent decisions, the last reconcile passes, counters that survive eviction
  `CREATE TABLE decisions (seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, json TEXT NOT NULL);
   CREATE TABLE reconcile_passes (pass INTEGER PRIMARY KEY, started_at INTEGER NOT NULL, json TEXT NOT NULL);
   CREATE TABLE counters (name TEXT NOT NULL, labels TEXT NOT NULL, value REAL NOT NULL, PRIMARY KEY (name, labels));`,
  // v10: each addressed Service's Fly app, Flycast address, forwarder machine and public addresses (Services: README)
  `CREATE TABLE service_apps (
     service_uid TEXT PRIMARY KEY,
     namespace TEXT NOT NULL,
     name TEXT NOT NULL,
     app TEXT NOT NULL UNIQUE,
     app_created INTEGER NOT NULL DEFAULT 0 CHECK (app_created IN (0, 1)),
     address TEXT,
     machine_id TEXT,
     machine_version TEXT,
     machine_create_intent_at INTEGER,
     applied_hash TEXT,
     public_v6 TEXT,
     public_v4 TEXT,
     updated_at INTEGER NOT NULL
   );`,
  // v11: "is any machine running?" (the exit watch, every alarm) is an index lookup, not a scan of every pod row
  `CREATE INDEX pods_by_machine_state ON pods(machine_state);`,
  // v12: which objects each pod references (and which Fly secrets its config reads), so an object
  // change touches only its pods; filled for existing pods by `openClusterState` (POD_REFS_VERSION)
  `CREATE TABLE pod_refs (
     uid TEXT NOT NULL,
     namespace TEXT NOT NULL,
     kind TEXT NOT NULL CHECK (kind IN ('Secret', 'ConfigMap', 'PersistentVolumeClaim', 'FlySecret')),
     name TEXT NOT NULL,
     key TEXT
   );
   CREATE INDEX pod_refs_by_pod ON pod_refs(uid);
   CREATE INDEX pod_refs_by_object ON pod_refs(kind, namespace, name);`,
  // v13: warm capacity. Stopped machines kept as spares of a pod template (`parking` while one
  // becomes a spare, `claiming` while a pod takes one over), the templates with their policy, and
  // on each pod its template's key and, for a machine taken from a spare, when the pod's own
  // events start (Fly clock, ms): what came before belongs to an earlier pod.
  `CREATE TABLE spares (
     machine_id TEXT PRIMARY KEY,
     spare_key TEXT NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('parking', 'ready', 'claiming')),
     claimed_by TEXT,
     claim_update_at INTEGER,
     machine_version TEXT,
     kept_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE INDEX spares_by_key ON spares(spare_key, state);
   CREATE UNIQUE INDEX spares_by_claimant ON spares(claimed_by);
   CREATE TABLE spare_templates (
     spare_key TEXT PRIMARY KEY,
     template TEXT NOT NULL,
     namespace TEXT NOT NULL,
     region TEXT,
     count INTEGER,
     ttl_ms INTEGER NOT NULL,
     config_json TEXT NOT NULL,
     last_pod_at INTEGER NOT NULL,
     created INTEGER NOT NULL DEFAULT 0,
     parked INTEGER NOT NULL DEFAULT 0,
     claimed INTEGER NOT NULL DEFAULT 0,
     expired INTEGER NOT NULL DEFAULT 0,
     updated_at INTEGER NOT NULL
   );
   ALTER TABLE pods ADD COLUMN spare_key TEXT;
   ALTER TABLE pods ADD COLUMN machine_since INTEGER;
   CREATE INDEX pods_by_spare_key ON pods(spare_key);`,
  // v14: a deleted claim's row stays as its tombstone (released_at; volume_gone_at once its volume is
  // confirmed destroyed or no longer listed), and the sweep's volumes that no live claim owns, with
  // the pass that last saw each (one of a deleted claim is destroyed when seen on two consecutive ones)
  `ALTER TABLE claim_volumes ADD COLUMN released_at INTEGER;
   ALTER TABLE claim_volumes ADD COLUMN volume_gone_at INTEGER;
   UPDATE claim_volumes SET released_at = updated_at WHERE claim_uid NOT IN (SELECT uid FROM objects);
   CREATE TABLE volume_orphans (
     volume_id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     claim_uid TEXT,
     disposition TEXT NOT NULL CHECK (disposition IN ('unknown', 'duplicate', 'retained', 'attached', 'releasing')),
     machine_id TEXT,
     first_seen_at INTEGER NOT NULL,
     last_pass INTEGER NOT NULL
   );`,
  // v15: deleted Services, Secrets, ConfigMaps and claims leave a tombstone too, so a late copy
  // cannot bring one back; tombstones of both tables go one retention after the delete (by time)
  `CREATE TABLE object_tombstones (uid TEXT PRIMARY KEY, deleted_at INTEGER NOT NULL);
   CREATE INDEX object_tombstones_by_deleted_at ON object_tombstones(deleted_at);
   CREATE INDEX tombstones_by_deleted_at ON tombstones(deleted_at);`,
];

/** The schema version that made `pod_refs`: a store migrated from before it has its pods indexed once. */
export const POD_REFS_VERSION = 12;

/** Brings `sql` to the newest schema; returns the version it started from. Each step is atomic. */
export function migrate(storage: DurableObjectStorage, upTo = MIGRATIONS.length): number {
  const sql = storage.sql;
  sql.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  const row = sql.exec<{ version: number }>("SELECT version FROM schema_version").toArray()[0];
  const from = row?.version ?? 0;
  if (!row) sql.exec("INSERT INTO schema_version (version) VALUES (0)");
  for (let v = from; v < upTo; v++) {
    storage.transactionSync(() => {
      sql.exec(MIGRATIONS[v]!);
      sql.exec("UPDATE schema_version SET version = ?", v + 1);
    });
  }
  return from;
}
