import { newestFirst, readExit, restartCountOf, type ObservedEvent } from "./machine-facts";

export type { ObservedEvent };

export interface Exit {
  /** 137 when the event does not say (`known` false), as the kubelet reports a lost container */
  exitCode: number;
  known: boolean;
  signal?: number;
  oomKilled: boolean;
  requestedStop: boolean;
  restarting: boolean;
  /** RFC 3339 */
  finishedAt: string;
  /** RFC 3339, the start this exit ended, when the events still hold it */
  startedAt?: string;
}

/** What the kubelet reports for a container whose exit it could not read. */
const UNKNOWN_EXIT_CODE = 137;

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
 * came in. Each exit is read by `readExit` (machine-facts), the reader the restart decision uses.
 * The restart count is the largest `restart_count` reported, or else the exits flyd restarted after.
 */
export function summarizeEvents(events: readonly ObservedEvent[]): EventSummary {
  const sorted = newestFirst(events);
  const exits: Exit[] = [];
  let restartCount = 0;
  let restartingExits = 0;
  for (const [i, e] of sorted.entries()) {
    restartCount = Math.max(restartCount, restartCountOf(e));
    if (e.type !== "exit") continue;
    const x = readExit(e);
    if (x.restarting) restartingExits++;
    const start = sorted.slice(i + 1).find((s) => s.type === "start");
    exits.push({
      exitCode: x.exitCode ?? UNKNOWN_EXIT_CODE,
      known: x.exitCode !== undefined,
      ...(x.signal ? { signal: x.signal } : {}),
      oomKilled: x.oomKilled,
      requestedStop: x.requestedStop,
      restarting: x.restarting,
      finishedAt: rfc3339(x.exitedAt ?? e.timestamp),
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
