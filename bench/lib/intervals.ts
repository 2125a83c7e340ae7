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
