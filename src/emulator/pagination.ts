import { badRequest } from "./errors";

/**
 * Opaque cursors over lists ordered by creation sequence: the cursor names the last item of the
 * previous page, so items created or deleted meanwhile do not shift later pages.
 */
const encodeCursor = (seq: number): string => Buffer.from(`seq:${seq}`).toString("base64url");

function decodeCursor(cursor: string): number {
  const m = /^seq:(\d+)$/.exec(Buffer.from(cursor, "base64url").toString());
  if (!m) throw badRequest(`invalid cursor: ${JSON.stringify(cursor)}`);
  return Number(m[1]);
}

/** One page of `items` (sorted by `seq`), plus the cursor of the next page when more remain. */
export function paginate<T extends { seq: number }>(items: readonly T[], limit: number | undefined, cursor: string | undefined): { page: T[]; next?: string } {
  if (cursor !== undefined && limit === undefined) throw badRequest("invalid cursor: cursor requires limit");
  const after = cursor === undefined ? 0 : decodeCursor(cursor);
  const rest = items.filter((i) => i.seq > after);
  if (limit === undefined) return { page: rest };
  const page = rest.slice(0, limit);
  const last = page.at(-1);
  return rest.length > limit && last ? { page, next: encodeCursor(last.seq) } : { page };
}
