/**
 * How long a tombstone (a deleted pod's, object's, or claim's once its volume is gone) is kept:
 * longer than any redelivery or relist of a stale copy. The relay coalesces events per UID, so a
 * copy older than the delete reaches the object within its retries (minutes), and a relist lists
 * no deleted UID; a machine that lands after its pod's tombstone went is still an orphan, destroyed
 * on its second sweep.
 */
export const TOMBSTONE_RETENTION_MS = 24 * 3_600_000;
