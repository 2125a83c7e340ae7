import { z } from "zod";

/** A Machine event as the Machines API lists it (`GET .../machines/{id}` `events[]`). */
export interface ObservedEvent {
  type: string;
  status?: string;
  source?: string;
  /** unix milliseconds */
  timestamp: number;
  request?: Record<string, unknown> | null;
}

const ExitEvent = z.looseObject({
  exit_code: z.number().optional(),
  guest_exit_code: z.number().optional(),
  signal: z.number().optional(),
  guest_signal: z.number().optional(),
  oom_killed: z.boolean().optional(),
  requested_stop: z.boolean().optional(),
  restarting: z.boolean().optional(),
  exited_at: z.string().optional(),
});
const EventRequest = z.looseObject({
  exit_event: ExitEvent.optional(),
  MonitorEvent: z.looseObject({ exit_event: ExitEvent.optional() }).nullish(),
  restart_count: z.number().optional(),
});

export interface Exit {
  exitCode: number;
  signal?: number;
  oomKilled: boolean;
  requestedStop: boolean;
  restarting: boolean;
  /** RFC 3339 */
  finishedAt: string;
  /** RFC 3339, the start this exit ended, when the events still hold it */
  startedAt?: string;
}

export interface EventSummary {
  /** the newest exit, if any */
  lastExit?: Exit;
  /** the exit before the newest one, if any */
  previousExit?: Exit;
  /** RFC 3339 time of the newest start */
  lastStart?: string;
  /** whether the current run began after the newest exit */
  startedSinceExit: boolean;
  restartCount: number;
  /** whether the Machine ever booted (a start or an exit is recorded) */
  everStarted: boolean;
}

/**
 * Reads the facts pod status needs out of a Machine's events, newest first whatever order they
 * came in. Exit codes follow fly-go (`MonitorEvent.exit_event` over `exit_event`, absent = 0).
 * The restart count is the largest `restart_count` reported, or else the exits flyd restarted after.
 */
export function summarizeEvents(events: readonly ObservedEvent[]): EventSummary {
  const sorted = events.map((e, i) => ({ e, i })).sort((a, b) => b.e.timestamp - a.e.timestamp || a.i - b.i).map((x) => x.e);
  const exits: Exit[] = [];
  let restartCount = 0;
  let restartingExits = 0;
  for (const [i, e] of sorted.entries()) {
    const req = EventRequest.safeParse(e.request ?? {});
    if (!req.success) continue;
    restartCount = Math.max(restartCount, req.data.restart_count ?? 0);
    if (e.type !== "exit") continue;
    const x = req.data.MonitorEvent?.exit_event ?? req.data.exit_event ?? {};
    if (x.restarting) restartingExits++;
    const start = sorted.slice(i + 1).find((s) => s.type === "start");
    const signal = x.signal || x.guest_signal;
    exits.push({
      exitCode: x.exit_code ?? x.guest_exit_code ?? 0,
      ...(signal ? { signal } : {}),
      oomKilled: x.oom_killed ?? false,
      requestedStop: x.requested_stop ?? false,
      restarting: x.restarting ?? false,
      finishedAt: rfc3339(x.exited_at ?? e.timestamp),
      ...(start ? { startedAt: rfc3339(start.timestamp) } : {}),
    });
  }
  const newestStart = sorted.find((e) => e.type === "start");
  const newestExit = sorted.find((e) => e.type === "exit");
  return {
    ...(exits[0] ? { lastExit: exits[0] } : {}),
    ...(exits[1] ? { previousExit: exits[1] } : {}),
    ...(newestStart ? { lastStart: rfc3339(newestStart.timestamp) } : {}),
    startedSinceExit: !!newestStart && (!newestExit || sorted.indexOf(newestStart) < sorted.indexOf(newestExit)),
    restartCount: Math.max(restartCount, restartingExits),
    everStarted: !!newestStart || !!newestExit,
  };
}

/** Kubernetes `Time`: RFC 3339 in UTC to the second. Unparseable text is returned as given. */
export function rfc3339(t: number | string): string {
  const ms = typeof t === "number" ? t : Date.parse(t);
  return Number.isNaN(ms) ? String(t) : new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}
