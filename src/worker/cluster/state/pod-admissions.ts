/**
 * How PodStore writes the rows of admitted pods: one prepared single-row INSERT per pod, a
 * snapshot's thousands included (the statement is compiled once per object and cached), their
 * `pod_refs` rows in batches. Rows go in the order given, so `rowid` order stays admission order.
 *
 * Not a JSON batch (json-batches.ts) as narrower rows are: a pod's row carries a few KB of JSON
 * text (pod, config, status, machine), which a batch would escape into one large string, and
 * SQLite would parse and unescape again. Measured in workerd (10,000 rows of ~3.6 KB): ~250 ms
 * one statement per row, ~310 ms as batches of 500.
 *
 * `OR FAIL`, not the default ABORT: an ABORT statement that writes a table and its indexes inside
 * a transaction first copies every page it changes to a statement journal (a temporary file), so
 * that it can undo itself alone; half the file writes of a 10,000-pod snapshot were that journal.
 * A single-row INSERT checks its constraints before it writes anything, so FAIL undoes the same
 * nothing, and the error still ends the transaction.
 */
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

const INSERT_ONE = `INSERT OR FAIL INTO pods (${COLUMNS.join(", ")}) VALUES (${COLUMNS.map(() => "?").join(", ")})`;

export function insertAdmissions(sql: SqlStorage, refs: PodRefStore, admissions: readonly Admission[]): void {
  for (const { row } of admissions) sql.exec(INSERT_ONE, ...COLUMNS.map((c) => row[c]));
  refs.insert(admissions.flatMap((a) => a.refs));
}
