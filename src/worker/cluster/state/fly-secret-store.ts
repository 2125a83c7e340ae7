/**
 * Owner of the `fly_secrets` table: each Kubernetes Secret key machinelet wrote to Fly (as the two
 * app secrets `secretKeyToFlySecretNames` names), with a digest of the value written and the app
 * secrets version that write returned. Values themselves are never stored here.
 */
export interface WrittenKey {
  namespace: string;
  secret: string;
  key: string;
  digest: string;
  version: number;
}

export class FlySecretStore {
  constructor(private readonly sql: SqlStorage) {}

  /** key -> written entry, for one Secret. */
  keysOf(namespace: string, secret: string): Map<string, WrittenKey> {
    const rows = this.sql.exec<{ key: string; digest: string; version: number }>("SELECT key, digest, version FROM fly_secrets WHERE namespace = ? AND secret = ?", namespace, secret).toArray();
    return new Map(rows.map((r) => [r.key, { namespace, secret, key: r.key, digest: r.digest, version: r.version }]));
  }

  all(): WrittenKey[] {
    return this.sql.exec<{ namespace: string; secret: string; key: string; digest: string; version: number }>("SELECT namespace, secret, key, digest, version FROM fly_secrets").toArray();
  }

  /** One bulk write took effect at `version`: these keys now hold these values there, those are gone. */
  recordWrite(written: Omit<WrittenKey, "version">[], removed: Pick<WrittenKey, "namespace" | "secret" | "key">[], version: number, now: number): void {
    for (const w of written) {
      this.sql.exec(
        `INSERT INTO fly_secrets (namespace, secret, key, digest, version, written_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(namespace, secret, key) DO UPDATE SET digest = excluded.digest, version = excluded.version, written_at = excluded.written_at`,
        w.namespace, w.secret, w.key, w.digest, version, now,
      );
    }
    for (const r of removed) this.sql.exec("DELETE FROM fly_secrets WHERE namespace = ? AND secret = ? AND key = ?", r.namespace, r.secret, r.key);
  }
}
