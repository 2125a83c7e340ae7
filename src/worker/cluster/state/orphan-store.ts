/**
 * Owner of the `orphans` table: machines of this cluster that no stored pod owns, with the
 * reconcile pass that last saw them. One destroyed is seen on two consecutive passes first.
 */
export class OrphanStore {
  constructor(private readonly sql: SqlStorage) {}

  /** The pass that last saw this machine as an orphan, if any did. */
  lastSeen(machineId: string): number | undefined {
    return this.sql.exec<{ last_pass: number }>("SELECT last_pass FROM orphans WHERE machine_id = ?", machineId).toArray()[0]?.last_pass;
  }

  /** Pass `pass` saw it (carrying pod UID `uid`, if any). */
  sighted(machineId: string, uid: string | null, pass: number): void {
    this.sql.exec(
      "INSERT INTO orphans (machine_id, uid, last_pass) VALUES (?, ?, ?) ON CONFLICT(machine_id) DO UPDATE SET last_pass = excluded.last_pass",
      machineId,
      uid,
      pass,
    );
  }

  forget(machineId: string): void {
    this.sql.exec("DELETE FROM orphans WHERE machine_id = ?", machineId);
  }

  /** Forgets every orphan but these (the others were not listed again: gone or owned now). */
  keepOnly(machineIds: ReadonlySet<string>): void {
    for (const { machine_id } of this.sql.exec<{ machine_id: string }>("SELECT machine_id FROM orphans").toArray()) {
      if (!machineIds.has(machine_id)) this.forget(machine_id);
    }
  }
}
