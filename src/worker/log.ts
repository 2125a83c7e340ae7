/**
 * The worker's structured logs: one JSON line per entry, `{"time","level","msg",...fields}`, on
 * the console method of its level (what Workers Logs indexes). `LOG_LEVEL` (debug, info, warn,
 * error; default info) drops what is below it. Fields carry identifiers, counts and reasons,
 * never secret values, tokens or signatures.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function logLevelOf(env: { LOG_LEVEL?: string }): LogLevel {
  const l = env.LOG_LEVEL?.trim().toLowerCase();
  return l === "debug" || l === "info" || l === "warn" || l === "error" ? l : "info";
}

export type LogWrite = (level: LogLevel, line: string) => void;

const consoleWrite: LogWrite = (level, line) => {
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
};

/**
 * Writes one turn later, in order. A line logged just before a Machines API call would otherwise
 * sit on that call's path: each console call is synchronous, and costs 1-3 ms under wrangler dev's
 * inspector (measured; bench/README.md). Lines keep the time they were logged at.
 */
export function deferredWrite(write: LogWrite = consoleWrite): LogWrite {
  const queue: Array<[LogLevel, string]> = [];
  const flush = () => {
    for (const [level, line] of queue.splice(0)) write(level, line);
  };
  return (level, line) => {
    if (queue.push([level, line]) === 1) setTimeout(flush, 0);
  };
}

export function logLine(min: LogLevel, level: LogLevel, msg: string, fields: Record<string, unknown>, write: LogWrite = consoleWrite): void {
  if (RANK[level] < RANK[min]) return;
  write(level, JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }));
}
