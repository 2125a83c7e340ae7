import type { Machine } from "../../machines/schemas";

/** The exit code of the machine's most recent `exit` event, if it has one. */
export function lastExitCode(m: Pick<Machine, "events"> | undefined): number | undefined {
  const exits = (m?.events ?? []).filter((e) => e.type === "exit").sort((a, b) => b.timestamp - a.timestamp);
  const code = (exits[0]?.request as { exit_event?: { exit_code?: unknown } } | undefined)?.exit_event?.exit_code;
  return typeof code === "number" ? code : undefined;
}
