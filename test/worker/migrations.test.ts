import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { expect, it } from "vitest";
import { MIGRATIONS, migrate } from "../../src/worker/cluster/migrations";

it("upgrades a v1 store to the newest schema without losing a pod, a tombstone or due work", async () => {
  const stub = env.CLUSTER.getByName(`migrations-${crypto.randomUUID()}`);
  await runInDurableObject(stub, (_instance, state) => {
    const sql = state.storage.sql;
    // Start from an empty database, as a v1 deployment would have left it.
    for (const { name } of sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").toArray()) {
      sql.exec(`DROP TABLE ${name}`);
    }
    expect(migrate(state.storage, 1)).toBe(0);
    sql.exec(
      `INSERT INTO pods (uid, namespace, name, resource_version, desired, pod_json, machine_name, updated_at, machine_id)
       VALUES ('u1', 'default', 'web', '7', 'run', '{}', 'default-web', 1, 'm1')`,
    );
    sql.exec("INSERT INTO tombstones (uid, deleted_at) VALUES ('u0', 1)");
    sql.exec("INSERT INTO work (uid, due_at) VALUES ('u1', 5)");

    expect(migrate(state.storage)).toBe(1);
    expect(sql.exec("SELECT version FROM schema_version").one().version).toBe(MIGRATIONS.length);
    expect(sql.exec("SELECT uid, machine_id FROM pods").toArray()).toEqual([{ uid: "u1", machine_id: "m1" }]);
    expect(sql.exec("SELECT uid FROM tombstones").toArray()).toEqual([{ uid: "u0" }]);
    expect(sql.exec("SELECT uid, due_at FROM work").toArray()).toEqual([{ uid: "u1", due_at: 5 }]);
    expect(sql.exec("SELECT count(*) AS n FROM status_feed").one().n).toBe(0);
    // Running it again is a no-op.
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
