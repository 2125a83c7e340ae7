/**
 * How PodStore writes the rows of admitted pods: one INSERT for a single pod (an event's), one
 * `INSERT ... SELECT FROM json_each` per batch for many (a snapshot's thousands), their
 * `pod_refs` rows likewise. Rows go in the order given, so `rowid` order stays admission order.
 */
import { BATCH, execBatched } from "./json-batches";
import type { PodRow } from "./pod-record";
import type { PodRefStore, RefRow } from "./pod-refs";

/** A pod's row as admitted, and the rows that index its references. */
export interface Admission {
  row: Readonly<PodRow>;
  refs: RefRow[];
}

/** The columns an admission writes (the machine's: when a snapshot found it); every other column keeps its default. */
const COLUMNS = [
  "uid", "namespace", "name", "resource_version", "desired", "pod_json", "config_json", "config_hash", "min_secrets_version", "region", "machine_name",
  "grace_s", "terminal", "problem_reason", "problem_message", "unhonoured_json", "status_json", "phase", "updated_at",
  "machine_id", "machine_version", "machine_state", "machine_json", "observed_digest", "applied_hash",
] as const satisfies ReadonlyArray<keyof PodRow>;

const INSERT_ONE = `INSERT INTO pods (${COLUMNS.join(", ")}) VALUES (${COLUMNS.map(() => "?").join(", ")})`;
/** Each row comes as a JSON array of the COLUMNS' values, in their order. */
const INSERT_BATCH = `${BATCH} INSERT INTO pods (${COLUMNS.join(", ")})
  SELECT ${COLUMNS.map((_, i) => `j.value ->> '$[${i}]'`).join(", ")} FROM j ORDER BY j.key`;

export function insertAdmissions(sql: SqlStorage, refs: PodRefStore, admissions: readonly Admission[]): void {
  if (admissions.length === 1) sql.exec(INSERT_ONE, ...COLUMNS.map((c) => admissions[0]!.row[c]));
  else if (admissions.length > 1) execBatched(sql, INSERT_BATCH, admissions.map((a) => COLUMNS.map((c) => a.row[c])));
  refs.insert(admissions.flatMap((a) => a.refs));
}
