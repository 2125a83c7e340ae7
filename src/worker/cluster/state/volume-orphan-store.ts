/**
 * What the volume sweep found of this cluster (`pvc_…` names) that no live claim owns, and why:
 * `unknown` (no record of its claim, as after a loss of state: kept), `duplicate` (a second volume
 * of a live claim's name: kept), `retained` (its claim is deleted with reclaim Retain: kept),
 * `attached` (its claim is deleted but a machine holds it: kept until the machine lets go),
 * `releasing` (its claim is deleted, reclaim Delete: destroyed when the next pass sees it again).
 * Owner of the `volume_orphans` table; `last_pass` is the reconcile pass that last saw each.
 */
export type OrphanDisposition = "unknown" | "duplicate" | "retained" | "attached" | "releasing";

export interface VolumeOrphan {
  volumeId: string;
  name: string;
  claimUid: string | null;
  disposition: OrphanDisposition;
  machineId: string | null;
  firstSeenAt: number;
  lastPass: number;
}

type Row = { volume_id: string; name: string; claim_uid: string | null; disposition: OrphanDisposition; machine_id: string | null; first_seen_at: number; last_pass: number };
const fromRow = (r: Row): VolumeOrphan => ({ volumeId: r.volume_id, name: r.name, claimUid: r.claim_uid, disposition: r.disposition, machineId: r.machine_id, firstSeenAt: r.first_seen_at, lastPass: r.last_pass });

export class VolumeOrphanStore {
  constructor(private readonly sql: SqlStorage) {}

  all(): VolumeOrphan[] {
    return this.sql.exec<Row>("SELECT * FROM volume_orphans ORDER BY first_seen_at, volume_id").toArray().map(fromRow);
  }

  get(volumeId: string): VolumeOrphan | undefined {
    const r = this.sql.exec<Row>("SELECT * FROM volume_orphans WHERE volume_id = ?", volumeId).toArray()[0];
    return r && fromRow(r);
  }

  /** Pass `pass` saw it, for this reason; returns whether it is newly seen (or seen for another reason). */
  sighted(o: Omit<VolumeOrphan, "firstSeenAt" | "lastPass">, pass: number, now: number): boolean {
    const before = this.get(o.volumeId);
    this.sql.exec(
      `INSERT INTO volume_orphans (volume_id, name, claim_uid, disposition, machine_id, first_seen_at, last_pass) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(volume_id) DO UPDATE SET claim_uid = excluded.claim_uid, disposition = excluded.disposition, machine_id = excluded.machine_id, last_pass = excluded.last_pass`,
      o.volumeId, o.name, o.claimUid, o.disposition, o.machineId, now, pass,
    );
    return before?.disposition !== o.disposition;
  }

  /** Forgets every orphan but these (the others were not found again: gone, destroyed or owned now). */
  keepOnly(volumeIds: ReadonlySet<string>): void {
    for (const { volume_id } of this.sql.exec<{ volume_id: string }>("SELECT volume_id FROM volume_orphans").toArray()) {
      if (!volumeIds.has(volume_id)) this.sql.exec("DELETE FROM volume_orphans WHERE volume_id = ?", volume_id);
    }
  }
}
