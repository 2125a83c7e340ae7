/**
 * Owner of the `app_ports` table: the cluster app's port that stands for each Service port
 * (key `<service uid>/<port>/<protocol>`). Ports are allocated by `allocateAppPorts`; this store
 * only remembers them, so a Service port keeps its app port across restarts of the object.
 */
export class AppPortStore {
  constructor(private readonly sql: SqlStorage) {}

  get(key: string): number | undefined {
    return this.sql.exec<{ app_port: number }>("SELECT app_port FROM app_ports WHERE key = ?", key).toArray()[0]?.app_port;
  }

  all(): Map<string, number> {
    return new Map(this.sql.exec<{ key: string; app_port: number }>("SELECT key, app_port FROM app_ports").toArray().map((r) => [r.key, r.app_port]));
  }

  /** Makes the table exactly `next` (released ports first, so a port may move to a new key). Says whether anything changed. */
  replace(next: ReadonlyMap<string, number>): boolean {
    const current = this.all();
    let changed = false;
    for (const [key, port] of current) {
      if (next.get(key) === port) continue;
      this.sql.exec("DELETE FROM app_ports WHERE key = ?", key);
      changed = true;
    }
    for (const [key, port] of next) {
      if (current.get(key) === port) continue;
      this.sql.exec("INSERT INTO app_ports (key, service_uid, app_port) VALUES (?, ?, ?)", key, key.slice(0, key.indexOf("/")), port);
      changed = true;
    }
    return changed;
  }
}
