/**
 * The app log store behind Fly's logs endpoint (`GET /api/v1/apps/{app}/logs`): machine lifecycle
 * lines from flyd (provider `runner`) and lines a test injects (provider `app`). Timestamps are
 * nanoseconds since the epoch, strictly increasing per app, because `next_token` is one.
 */
import type { AppRecord, MachineRecord, MachineState } from "./model";
import type { EmulatorState } from "./state";

export interface LogRecord {
  /** Nanoseconds since the epoch, unique within the app. */
  ns: bigint;
  message: string;
  level: "info" | "warn" | "error";
  instance: string;
  region: string;
  provider: "app" | "runner" | "proxy";
  /** Assumed field (Fly documents none): the container of a multi-container machine that printed it. */
  container?: string;
}

/** Fly keeps about seven days; lines older than this are gone. */
export const LOG_RETENTION_MS = 7 * 24 * 3_600_000;
/** Lines kept per app (oldest dropped first), so a chatty test cannot exhaust memory. */
const LINES_KEPT = 20_000;
/** Newest lines a first request (no `next_token`) sees, and the page size after it. */
export const LOG_PAGE = 100;
/** A first request looks back this far. */
const FIRST_PAGE_WINDOW_MS = 24 * 3_600_000;

const appLogs = new WeakMap<AppRecord, { lines: LogRecord[]; lastNs: bigint }>();

function store(app: AppRecord) {
  let s = appLogs.get(app);
  if (!s) appLogs.set(app, (s = { lines: [], lastNs: 0n }));
  return s;
}

/** The app holding machine `m` (machine ids are unique across apps). */
function appOf(st: EmulatorState, m: MachineRecord): AppRecord | undefined {
  for (const app of st.apps.values()) if (app.machines.get(m.id) === m) return app;
  return undefined;
}

export function appendLog(st: EmulatorState, m: MachineRecord, line: Omit<LogRecord, "ns" | "instance" | "region">): void {
  const app = appOf(st, m);
  if (!app) return;
  const s = store(app);
  const now = BigInt(st.now()) * 1_000_000n;
  s.lastNs = now > s.lastNs ? now : s.lastNs + 1n;
  s.lines.push({ ...line, ns: s.lastNs, instance: m.id, region: m.region });
  if (s.lines.length > LINES_KEPT) s.lines.splice(0, s.lines.length - LINES_KEPT);
}

/** What flyd prints when a machine enters `state` (Fly's own wording where it is known). */
export function lifecycleLine(m: MachineRecord, state: MachineState): string | undefined {
  switch (state) {
    case "created":
      return `Pulling container image ${m.config.image ?? ""}`.trimEnd();
    case "starting":
      return "Configuring firecracker";
    case "started":
      return `Machine started`;
    case "stopping":
      return "Sending signal SIGINT to main child";
    case "stopped":
      return "Machine stopped";
    case "destroyed":
      return "Machine destroyed";
    case "failed":
      return "Machine failed to start";
    default:
      return undefined;
  }
}

export interface LogQuery {
  instance?: string;
  region?: string;
  /** Only lines after this timestamp (ns); absent: the newest page of the last 24 h. */
  afterNs?: bigint;
}

/** One page, oldest first, and the token that continues after it. */
export function queryLogs(st: EmulatorState, app: AppRecord, q: LogQuery): { lines: LogRecord[]; nextToken: string } {
  const s = store(app);
  const oldest = BigInt(st.now() - LOG_RETENTION_MS) * 1_000_000n;
  while (s.lines.length > 0 && s.lines[0]!.ns < oldest) s.lines.shift();
  const matches = (l: LogRecord) => (q.instance === undefined || l.instance === q.instance) && (q.region === undefined || l.region === q.region);
  let lines: LogRecord[];
  if (q.afterNs === undefined) {
    const since = BigInt(st.now() - FIRST_PAGE_WINDOW_MS) * 1_000_000n;
    lines = s.lines.filter((l) => l.ns >= since && matches(l)).slice(-LOG_PAGE);
  } else {
    const after = q.afterNs;
    lines = s.lines.filter((l) => l.ns > after && matches(l)).slice(0, LOG_PAGE);
  }
  const last = lines[lines.length - 1];
  return { lines, nextToken: String(last?.ns ?? q.afterNs ?? BigInt(st.now()) * 1_000_000n) };
}

/** RFC 3339 with nanoseconds, as Fly's logs endpoint prints `timestamp`. */
export function nsTimestamp(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const frac = String(ns % 1_000_000_000n).padStart(9, "0");
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, `.${frac}Z`);
}
