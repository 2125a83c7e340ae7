import type { MachineConfig } from "./machine-config";

/** on-failure allows this many restarts within the window unless `max_retries` says otherwise (restart policy docs). */
export const DEFAULT_MAX_RETRIES = 10;
export const RESTART_WINDOW_MS = 5 * 60_000;

export interface ProcessExit {
  exitCode: number;
  oomKilled: boolean;
}

/**
 * Whether flyd restarts a machine whose main process exited: `no` never, `always` always,
 * `on-failure` (also when no policy is set) on a non-zero exit or OOM kill while fewer than
 * `max_retries` automatic restarts happened in the last five minutes.
 */
export function shouldRestart(restart: MachineConfig["restart"], exit: ProcessExit, restartsInWindow: number): boolean {
  const policy = restart?.policy ?? "on-failure";
  if (policy === "no") return false;
  if (policy === "always") return true;
  const failed = exit.exitCode !== 0 || exit.oomKilled;
  const maxRetries = restart?.max_retries || DEFAULT_MAX_RETRIES;
  return failed && restartsInWindow < maxRetries;
}

export const restartsSince = (times: readonly number[], now: number): number => times.filter((t) => now - t < RESTART_WINDOW_MS).length;
