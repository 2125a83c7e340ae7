import type { LoggedCall } from "./emulator";

/** Calls on one Fly app's paths. */
export const callsOfApp = (log: readonly LoggedCall[], app: string) => log.filter((c) => c.path === `/v1/apps/${app}` || c.path.startsWith(`/v1/apps/${app}/`));

/** Total time (ms) during which at least one of `calls` was inside the emulator. */
export function busyMs(calls: readonly LoggedCall[]): number {
  const sorted = [...calls].sort((a, b) => a.start - b.start);
  let total = 0;
  let open: { start: number; end: number } | undefined;
  for (const c of sorted) {
    if (open && c.start <= open.end) open.end = Math.max(open.end, c.end);
    else {
      if (open) total += open.end - open.start;
      open = { start: c.start, end: c.end };
    }
  }
  return open ? total + (open.end - open.start) : total;
}

/** The most of `calls` ever inside the emulator at once. */
export function maxOpen(calls: readonly LoggedCall[]): number {
  const edges = calls.flatMap((c) => [{ at: c.start, d: 1 }, { at: c.end, d: -1 }]).sort((a, b) => a.at - b.at || a.d - b.d);
  let open = 0;
  let most = 0;
  for (const e of edges) most = Math.max(most, (open += e.d));
  return most;
}
