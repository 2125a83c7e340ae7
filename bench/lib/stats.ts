/** The emulator's call counts (`GET /_emulator/stats`): "<METHOD> <route template>" -> status -> count. */
export type Calls = Record<string, Record<string, number>>;

/** What happened between two snapshots. */
export function diffCalls(before: Calls, after: Calls): Calls {
  const out: Calls = {};
  for (const [route, byStatus] of Object.entries(after)) {
    for (const [status, n] of Object.entries(byStatus)) {
      const d = n - (before[route]?.[status] ?? 0);
      if (d > 0) (out[route] ??= {})[status] = d;
    }
  }
  return out;
}

/** Sum of the counts whose route and status pass `keep` (default: all). */
export function countCalls(calls: Calls, keep: (route: string, status: number) => boolean = () => true): number {
  let n = 0;
  for (const [route, byStatus] of Object.entries(calls)) {
    for (const [status, count] of Object.entries(byStatus)) if (keep(route, Number(status))) n += count;
  }
  return n;
}


/** Machines API calls (under /v1), optionally only those whose method is not GET. */
export const isV1 = (route: string) => / \/v1\//.test(route);
export const isMutating = (route: string) => isV1(route) && !route.startsWith("GET ");
export const isAppCreate = (route: string) => route === "POST /v1/apps" || route === "GET /v1/apps/{app_name}";

/** One line per route, for notes and failure messages. */
export function describeCalls(calls: Calls): string {
  return Object.entries(calls)
    .map(([route, byStatus]) => `${route} ${Object.entries(byStatus).map(([s, n]) => `${s}x${n}`).join(",")}`)
    .join("; ");
}
