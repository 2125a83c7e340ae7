/**
 * Owner of the `claim_volumes` table: the Fly Volume of each PersistentVolumeClaim, by claim UID.
 * A row is made (with the intent time) before the create call, so a crash or timeout between
 * "Fly created it" and "recorded" is resolved by finding the volume by its name, never by a
 * second create; a new claim of the same name has another UID, hence another volume.
 *
 * A deleted claim's row stays as its tombstone (`releasedAt`): its UID never gets a volume again,
 * and the volume sweep knows a volume of that name is a deleted claim's (destroyed unless
 * retained). The tombstone goes `TOMBSTONE_RETENTION_MS` after its volume is confirmed gone
 * (`volumeGoneAt`), so tombstones are bounded by the volumes that exist plus one retention's deletes.
 */
export interface ClaimVolume {
  claimUid: string;
  namespace: string;
  name: string;
  volumeName: string;
  volumeId: string | null;
  region: string | null;
  sizeGb: number | null;
  createIntentAt: number | null;
  retain: boolean;
  /** When the claim was deleted: the row is its tombstone. */
  releasedAt: number | null;
  /** When its volume was confirmed destroyed (or no longer listed), for a tombstone. */
  volumeGoneAt: number | null;
}

type Row = {
  claim_uid: string;
  namespace: string;
  name: string;
  volume_name: string;
  volume_id: string | null;
  region: string | null;
  size_gb: number | null;
  create_intent_at: number | null;
  retain: number;
  released_at: number | null;
  volume_gone_at: number | null;
};

const fromRow = (r: Row): ClaimVolume => ({
  claimUid: r.claim_uid,
  namespace: r.namespace,
  name: r.name,
  volumeName: r.volume_name,
  volumeId: r.volume_id,
  region: r.region,
  sizeGb: r.size_gb,
  createIntentAt: r.create_intent_at,
  retain: r.retain === 1,
  releasedAt: r.released_at,
  volumeGoneAt: r.volume_gone_at,
});

type Identity = Pick<ClaimVolume, "claimUid" | "namespace" | "name" | "volumeName">;

export class ClaimVolumeStore {
  constructor(private readonly sql: SqlStorage) {}

  all(): ClaimVolume[] {
    return this.sql.exec<Row>("SELECT * FROM claim_volumes").toArray().map(fromRow);
  }

  any(): boolean {
    return this.sql.exec("SELECT 1 FROM claim_volumes LIMIT 1").toArray().length > 0;
  }

  get(claimUid: string): ClaimVolume | undefined {
    const r = this.sql.exec<Row>("SELECT * FROM claim_volumes WHERE claim_uid = ?", claimUid).toArray()[0];
    return r && fromRow(r);
  }

  /** About to call create: the row exists with the intent time first. */
  markCreateIntent(c: Identity, retain: boolean, now: number): void {
    this.sql.exec(
      `INSERT INTO claim_volumes (claim_uid, namespace, name, volume_name, create_intent_at, retain, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(claim_uid) DO UPDATE SET create_intent_at = excluded.create_intent_at, updated_at = excluded.updated_at`,
      c.claimUid, c.namespace, c.name, c.volumeName, now, retain ? 1 : 0, now,
    );
  }

  /** A definite refusal made nothing: no volume to look for. */
  clearCreateIntent(claimUid: string): void {
    this.sql.exec("DELETE FROM claim_volumes WHERE claim_uid = ? AND volume_id IS NULL", claimUid);
  }

  /** The volume exists (created, or found by name): bind it. */
  bind(claimUid: string, volumeId: string, region: string, sizeGb: number, now: number): void {
    this.sql.exec("UPDATE claim_volumes SET volume_id = ?, region = ?, size_gb = ?, create_intent_at = NULL, updated_at = ? WHERE claim_uid = ?", volumeId, region, sizeGb, now, claimUid);
  }

  resized(claimUid: string, sizeGb: number, now: number): void {
    this.sql.exec("UPDATE claim_volumes SET size_gb = ?, updated_at = ? WHERE claim_uid = ?", sizeGb, now, claimUid);
  }

  setRetain(claimUid: string, retain: boolean, now: number): void {
    this.sql.exec("UPDATE claim_volumes SET retain = ?, updated_at = ? WHERE claim_uid = ?", retain ? 1 : 0, now, claimUid);
  }

  /** Found a live claim's volume by its name with no row for it (state was lost): bind it. */
  adopt(c: Identity, retain: boolean, volume: { id: string; region: string; sizeGb: number }, now: number): void {
    this.sql.exec(
      `INSERT INTO claim_volumes (claim_uid, namespace, name, volume_name, volume_id, region, size_gb, retain, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(claim_uid) DO UPDATE SET volume_id = excluded.volume_id, region = excluded.region, size_gb = excluded.size_gb, create_intent_at = NULL, updated_at = excluded.updated_at`,
      c.claimUid, c.namespace, c.name, c.volumeName, volume.id, volume.region, volume.sizeGb, retain ? 1 : 0, now,
    );
  }

  /** The claim is deleted (with `retain` as its last copy says): its row becomes its tombstone, made if it had none. */
  release(c: Identity, retain: boolean, now: number): void {
    this.sql.exec(
      `INSERT INTO claim_volumes (claim_uid, namespace, name, volume_name, retain, released_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(claim_uid) DO UPDATE SET retain = excluded.retain, released_at = coalesce(released_at, excluded.released_at), updated_at = excluded.updated_at`,
      c.claimUid, c.namespace, c.name, c.volumeName, retain ? 1 : 0, now, now,
    );
  }

  isReleased(claimUid: string): boolean {
    return this.sql.exec("SELECT 1 FROM claim_volumes WHERE claim_uid = ? AND released_at IS NOT NULL", claimUid).toArray().length > 0;
  }

  /** Tombstones (reclaim Delete) whose volume may still exist: the sweep lists volumes on every pass while there are any. */
  unsettledReleases(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM claim_volumes WHERE released_at IS NOT NULL AND volume_gone_at IS NULL AND retain = 0").one().n;
  }

  /** The tombstone's volume is destroyed, or no longer listed (null: listed again). */
  volumeGone(claimUid: string, at: number | null): void {
    this.sql.exec("UPDATE claim_volumes SET volume_gone_at = ? WHERE claim_uid = ? AND released_at IS NOT NULL", at, claimUid);
  }

  /** Drops tombstones whose volume has been gone since before `before`; returns how many. */
  pruneTombstones(before: number): number {
    return this.sql.exec("DELETE FROM claim_volumes WHERE released_at IS NOT NULL AND volume_gone_at < ?", before).rowsWritten;
  }
}
