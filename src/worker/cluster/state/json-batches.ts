/**
 * Many rows in one statement. A Durable Object's SQLite takes at most 100 bound parameters per
 * statement, so a batch goes in as one JSON array parameter that the statement reads with
 * `json_each(?)` (`value ->> '$.field'`, in array order by `key`). For narrow rows (UIDs, work,
 * references, the columns of a machine) one statement per batch saves a crossing from JavaScript
 * into the runtime per row; rows that carry kilobytes of JSON text go one prepared statement per
 * row instead (pod-admissions.ts), since a batch escapes that text into one string to parse again.
 *
 * Batches are bounded by count and by JSON size (a bound value must stay well under SQLite's
 * 2 MB string limit on Cloudflare, and a machine's JSON is a few KB).
 */
/** Rows per batch; also how many writes a store holds back at most (deferred-writes.ts). */
export const MAX_ROWS = 500;
const MAX_CHARS = 1_000_000;

/** `rows` as JSON arrays of at most MAX_ROWS rows and about MAX_CHARS characters each. */
export function* jsonBatches(rows: readonly unknown[]): Generator<string> {
  let parts: string[] = [];
  let chars = 0;
  for (const row of rows) {
    const json = JSON.stringify(row);
    if (parts.length > 0 && (parts.length >= MAX_ROWS || chars + json.length > MAX_CHARS)) {
      yield `[${parts.join(",")}]`;
      parts = [];
      chars = 0;
    }
    parts.push(json);
    chars += json.length + 1;
  }
  if (parts.length > 0) yield `[${parts.join(",")}]`;
}

/**
 * The batch as a table `j(key, value)` for a statement that starts with it: `${BATCH} INSERT ...
 * SELECT j.value ->> '$.field' FROM j ORDER BY j.key`, `${BATCH} UPDATE ... FROM j WHERE ...`.
 * Each row's JSON is converted to binary JSON once: SQLite parses a text value again for every
 * `->>` on it, which for rows of a dozen fields was most of such a statement's cost.
 */
export const BATCH = "WITH j AS MATERIALIZED (SELECT key, jsonb(value) AS value FROM json_each(?))";

/**
 * Runs `query` once per batch of `rows`, bound as `batch, ...after` (a query that reads fields of
 * the rows starts with BATCH, one that only lists them may read `json_each(?)` itself);
 * returns every row it gave back, batches in order.
 */
export function execBatched<T extends Record<string, SqlStorageValue>>(sql: SqlStorage, query: string, rows: readonly unknown[], ...after: SqlStorageValue[]): T[] {
  const out: T[] = [];
  for (const batch of jsonBatches(rows)) for (const r of sql.exec<T>(query, batch, ...after)) out.push(r);
  return out;
}
