/**
 * Owner of the `claim_volumes` table: the Fly Volume of each PersistentVolumeClaim, by claim UID.
 * A row is made (with the intent time) before the create call, so a crash or timeout between
 * "Fly created it" and "recorded" is resolved by finding the volume by its name, never by a
 * second create. The row outlives the claim until its volume is destroyed (or retained); a new
 * claim of the same name has another UID, hence another volume.
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
});

export class ClaimVolumeStore {
  constructor(private readonly sql: SqlStorage) {}

  all(): ClaimVolume[] {
    return this.sql.exec<Row>("SELECT * FROM claim_volumes").toArray().map(fromRow);
  }

  get(claimUid: string): ClaimVolume | undefined {
    const r = this.sql.exec<Row>("SELECT * FROM claim_volumes WHERE claim_uid = ?", claimUid).toArray()[0];
    return r && fromRow(r);
  }

  /** About to call create: the row exists with the intent time first. */
  markCreateIntent(c: Pick<ClaimVolume, "claimUid" | "namespace" | "name" | "volumeName">, retain: boolean, now: number): void {
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

  /** The volume is destroyed (or retained outside machinelet's care): forget the row. */
  forget(claimUid: string): void {
    this.sql.exec("DELETE FROM claim_volumes WHERE claim_uid = ?", claimUid);
  }
}
