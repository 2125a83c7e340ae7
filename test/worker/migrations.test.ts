import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { expect, it } from "vitest";
import { MIGRATIONS, POD_REFS_VERSION, migrate } from "../../src/worker/cluster/state/migrations";
import { openClusterState, PodStore, SpareStore } from "../../src/worker/cluster/state";

/** An empty database, as a first deployment of schema version `upTo` would have left it. */
function freshAt(state: DurableObjectState, upTo: number): SqlStorage {
  const sql = state.storage.sql;
  for (const { name } of sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").toArray()) {
    sql.exec(`DROP TABLE ${name}`);
  }
  expect(migrate(state.storage, upTo)).toBe(0);
  return sql;
}

it("upgrades a v1 store to the newest schema without losing a pod, a tombstone or due work", async () => {
  const stub = env.CLUSTER.getByName(`migrations-${crypto.randomUUID()}`);
  await runInDurableObject(stub, (_instance, state) => {
    const sql = freshAt(state, 1);
    sql.exec(
      `INSERT INTO pods (uid, namespace, name, resource_version, desired, pod_json, machine_name, updated_at, machine_id, problem_json)
       VALUES ('u1', 'default', 'web', '7', 'run', '{}', 'default-web', 1, 'm1', '{"reason":"Unsupported","message":"no","terminal":true}')`,
    );
    sql.exec("INSERT INTO tombstones (uid, deleted_at) VALUES ('u0', 1)");
    sql.exec("INSERT INTO work (uid, due_at) VALUES ('u1', 5)");

    expect(migrate(state.storage)).toBe(1);
    expect(sql.exec("SELECT version FROM schema_version").one().version).toBe(MIGRATIONS.length);
    expect(sql.exec("SELECT uid, machine_id, terminal, problem_reason, reread FROM pods").toArray()).toEqual([
      { uid: "u1", machine_id: "m1", terminal: 1, problem_reason: "Unsupported", reread: 1 },
    ]);
    expect(sql.exec("SELECT uid FROM tombstones").toArray()).toEqual([{ uid: "u0" }]);
    expect(sql.exec("SELECT uid, due_at FROM work").toArray()).toEqual([{ uid: "u1", due_at: 5 }]);
    expect(sql.exec("SELECT count(*) AS n FROM status_feed").one().n).toBe(0);
    // Running it again is a no-op.
    expect(migrate(state.storage)).toBe(MIGRATIONS.length);
  });
});

it("upgrades a v4 store (the schema before real problem/phase columns): each JSON fact becomes its column", async () => {
  const stub = env.CLUSTER.getByName(`migrations-${crypto.randomUUID()}`);
  await runInDurableObject(stub, (_instance, state) => {
    const sql = freshAt(state, 4);
    const insert = (uid: string, machineId: string | null, machineState: string | null, problem: string | null, status: string | null) =>
      sql.exec(
        `INSERT INTO pods (uid, namespace, name, resource_version, desired, pod_json, machine_name, updated_at, machine_id, machine_state, problem_json, status_json)
         VALUES (?, 'default', ?, '7', 'run', '{"spec":{"containers":[]}}', ?, 1, ?, ?, ?, ?)`,
        uid, uid, uid, machineId, machineState, problem, status,
      );
    insert("failed", null, null, '{"reason":"ProviderFailed","message":"bad image","terminal":true}', '{"phase":"Failed"}');
    insert("waiting", null, null, '{"reason":"RateBudget","message":"waiting 1 s","terminal":false}', '{"phase":"Pending"}');
    insert("running", "m1", "started", null, '{"phase":"Running"}');
    insert("reread", "m2", null, null, '{"phase":"Running"}');
    sql.exec("INSERT INTO orphans (machine_id, uid, last_pass) VALUES ('m9', 'x', 3)");

    expect(migrate(state.storage)).toBe(4);
    const pods = new PodStore(sql);
    expect(pods.get("failed")).toMatchObject({ problem: { reason: "ProviderFailed", message: "bad image", terminal: true }, phase: "Failed", machineState: null });
    expect(pods.get("waiting")).toMatchObject({ problem: { reason: "RateBudget", message: "waiting 1 s", terminal: false }, phase: "Pending" });
    expect(pods.get("running")).toMatchObject({ problem: null, phase: "Running", machineId: "m1", machineState: "started" });
    // A null state with a machine meant "read it again"; it still does, through its own flag.
    expect(pods.get("reread")).toMatchObject({ machineId: "m2", machineState: null });
    const index = pods.reconcileIndex();
    expect([...index.values()].map((e) => [e.uid, e.terminal])).toEqual([
      ["failed", true],
      ["waiting", false],
      ["running", false],
      ["reread", false],
    ]);
    expect(sql.exec("SELECT machine_id, last_pass FROM orphans").toArray()).toEqual([{ machine_id: "m9", last_pass: 3 }]);
    const columns = sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('pods')").toArray().map((c) => c.name);
    expect(columns).not.toContain("problem_json");
  });
});

it("upgrades a store from before the reference index: its pods are indexed once, their references and config secrets found", async () => {
  const stub = env.CLUSTER.getByName(`migrations-${crypto.randomUUID()}`);
  await runInDurableObject(stub, (_instance, state) => {
    const sql = freshAt(state, POD_REFS_VERSION - 1);
    const pod = {
      metadata: { name: "db", namespace: "shop", uid: "u1" },
      spec: {
        containers: [{ name: "db", image: "postgres:17", env: [{ name: "PW", valueFrom: { secretKeyRef: { name: "db", key: "password" } } }], envFrom: [{ configMapRef: { name: "settings" } }] }],
        volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data-db-0" } }],
      },
    };
    const config = { image: "postgres:17", processes: [{ secrets: [{ env_var: "PW", name: "MLS_shop__db__password" }] }] };
    sql.exec(
      `INSERT INTO pods (uid, namespace, name, resource_version, desired, pod_json, config_json, machine_name, updated_at) VALUES ('u1', 'shop', 'db', '7', 'run', ?, ?, 'shop-db', 1)`,
      JSON.stringify(pod), JSON.stringify(config),
    );

    const { pods } = openClusterState(state.storage);
    expect(pods.refs.runnableReferencing("Secret", "shop", "db").map((r) => r.uid)).toEqual(["u1"]);
    expect(pods.refs.runnableReferencing("ConfigMap", "shop", "settings").map((r) => r.uid)).toEqual(["u1"]);
    expect(pods.refs.runnableReferencing("Secret", "default", "db")).toEqual([]);
    expect(pods.refs.secretKeysInUse()).toEqual(new Map([["shop\u0000db", new Set(["password"])]]));
    expect(pods.refs.claimsInUse()).toEqual([{ namespace: "shop", name: "data-db-0", users: ["u1"] }]);
    expect(pods.refs.flySecretsInConfigs()).toEqual(new Set(["MLS_shop__db__password"]));
    // Indexed once: opening again does not index twice.
    openClusterState(state.storage);
    expect(pods.refs.claimsInUse()).toEqual([{ namespace: "shop", name: "data-db-0", users: ["u1"] }]);
  });
});

it("a store already on the newest schema is left as it is", async () => {
  const stub = env.CLUSTER.getByName(`migrations-${crypto.randomUUID()}`);
  await runInDurableObject(stub, (_instance, state) => {
    freshAt(state, MIGRATIONS.length);
    expect(migrate(state.storage)).toBe(MIGRATIONS.length);
  });
});

it("rejects a bad desired state at the storage layer", async () => {
  const stub = env.CLUSTER.getByName(`migrations-${crypto.randomUUID()}`);
  await runInDurableObject(stub, (_instance, state) => {
    expect(() =>
      state.storage.sql.exec(
        `INSERT INTO pods (uid, namespace, name, resource_version, desired, pod_json, machine_name, updated_at) VALUES ('u', 'd', 'n', '1', 'explode', '{}', 'n', 1)`,
      ),
    ).toThrow(/CHECK constraint/);
  });
});

it("upgrades a v12 store (before warm capacity): pods keep their machines and have no spare key; the spare tables start empty", async () => {
  const stub = env.CLUSTER.getByName(`migrations-${crypto.randomUUID()}`);
  await runInDurableObject(stub, (_instance, state) => {
    const sql = freshAt(state, 12);
    sql.exec(
      `INSERT INTO pods (uid, namespace, name, resource_version, desired, pod_json, machine_name, updated_at, machine_id, machine_state)
       VALUES ('u1', 'default', 'web', '7', 'run', '{"spec":{"containers":[]}}', 'default-web', 1, 'm1', 'started')`,
    );
    expect(migrate(state.storage)).toBe(12);
    const rec = new PodStore(sql).get("u1")!;
    expect(rec).toMatchObject({ machineId: "m1", machineState: "started", spareKey: null, machineSince: null });
    const spares = new SpareStore(sql);
    expect(spares.all()).toEqual([]);
    expect(spares.templates()).toEqual([]);
    // A pod claims at most one spare.
    sql.exec("INSERT INTO spares (machine_id, spare_key, state, claimed_by, kept_at, updated_at) VALUES ('s1', 'k', 'claiming', 'u1', 1, 1)");
    expect(() => sql.exec("INSERT INTO spares (machine_id, spare_key, state, claimed_by, kept_at, updated_at) VALUES ('s2', 'k', 'claiming', 'u1', 1, 1)")).toThrow(/UNIQUE/);
  });
});

it("upgrades a v13 store (before claim tombstones): a claim row whose claim is gone becomes its tombstone, a live one stays live", async () => {
  const stub = env.CLUSTER.getByName(`migrations-${crypto.randomUUID()}`);
  await runInDurableObject(stub, (_instance, state) => {
    const sql = freshAt(state, 13);
    const row = (uid: string, volumeId: string) =>
      sql.exec(`INSERT INTO claim_volumes (claim_uid, namespace, name, volume_name, volume_id, region, size_gb, updated_at) VALUES (?, 'default', ?, ?, ?, 'ams', 1, 7)`, uid, uid, `pvc_${uid}`, volumeId);
    row("live", "vol_live");
    row("gone", "vol_gone");
    sql.exec(`INSERT INTO objects (uid, kind, namespace, name, resource_version, object_json, updated_at) VALUES ('live', 'PersistentVolumeClaim', 'default', 'live', '1', '{}', 1)`);

    expect(migrate(state.storage)).toBe(13);
    const { claimVolumes, volumeOrphans } = openClusterState(state.storage);
    expect(claimVolumes.get("live")).toMatchObject({ volumeId: "vol_live", releasedAt: null, volumeGoneAt: null });
    expect(claimVolumes.get("gone")).toMatchObject({ volumeId: "vol_gone", releasedAt: 7, volumeGoneAt: null });
    expect(claimVolumes.isReleased("gone")).toBe(true);
    expect(claimVolumes.unsettledReleases()).toBe(1);
    claimVolumes.setRetain("gone", true, 8);
    expect(claimVolumes.unsettledReleases()).toBe(0);
    expect(volumeOrphans.all()).toEqual([]);
    // A tombstone goes one retention after its volume is confirmed gone, not before.
    claimVolumes.volumeGone("gone", 100);
    expect(claimVolumes.pruneTombstones(100)).toBe(0);
    expect(claimVolumes.pruneTombstones(101)).toBe(1);
    expect(claimVolumes.get("gone")).toBeUndefined();
    expect(() => sql.exec("INSERT INTO volume_orphans (volume_id, name, disposition, first_seen_at, last_pass) VALUES ('v', 'n', 'lost', 1, 1)")).toThrow(/CHECK constraint/);
  });
});

it("upgrades a v14 store (pod tombstones kept forever): they go one retention after the delete, and deleted objects get theirs", async () => {
  const stub = env.CLUSTER.getByName(`migrations-${crypto.randomUUID()}`);
  await runInDurableObject(stub, (_instance, state) => {
    const sql = freshAt(state, 14);
    sql.exec("INSERT INTO tombstones (uid, deleted_at) VALUES ('old', 100), ('new', 200)");
    sql.exec(`INSERT INTO objects (uid, kind, namespace, name, resource_version, object_json, updated_at) VALUES ('cm', 'ConfigMap', 'default', 'cfg', '1', '{}', 1)`);

    expect(migrate(state.storage)).toBe(14);
    const { pods, objects } = openClusterState(state.storage);
    expect(pods.isTombstoned("old")).toBe(true);
    expect(pods.pruneTombstones(200)).toBe(1);
    expect([pods.isTombstoned("old"), pods.isTombstoned("new")]).toEqual([false, true]);

    expect(objects.remove("cm", 300)).toBe(true);
    expect(objects.remove("never-seen", 400)).toBe(false);
    expect([objects.isDeleted("cm"), objects.isDeleted("never-seen"), objects.isDeleted("live")]).toEqual([true, true, false]);
    expect(objects.pruneTombstones(400)).toBe(1);
    expect([objects.isDeleted("cm"), objects.isDeleted("never-seen")]).toEqual([false, true]);
    expect(sql.exec("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE '%tombstones_by_deleted_at'").toArray().length).toBe(2);
  });
});

