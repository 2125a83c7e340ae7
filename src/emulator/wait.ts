import { badRequest, FlyError, notFound } from "./errors";
import type { MachineRecord, MachineState } from "./model";
import type { EmulatorState } from "./state";

export const WAIT_STATES = ["started", "stopped", "suspended", "destroyed", "failed", "settled"] as const;
export type WaitState = (typeof WAIT_STATES)[number];

/** `settled`: any state the machine rests in (not a transient one). */
const SETTLED: ReadonlySet<string> = new Set(["created", "started", "stopped", "suspended", "failed", "destroyed", "replaced"]);

/** `state` may be repeated and/or comma-separated; default `started`. */
export function parseWaitStates(values: readonly string[]): WaitState[] {
  const states = values.flatMap((v) => v.split(",")).map((s) => s.trim()).filter(Boolean);
  for (const s of states) {
    if (!(WAIT_STATES as readonly string[]).includes(s)) throw badRequest(`invalid state: ${JSON.stringify(s)} is not one of ${WAIT_STATES.join(", ")}`);
  }
  return states.length ? (states as WaitState[]) : ["started"];
}

/** Seconds to block: an integer (or Go duration) up to 60, default 60. */
export function parseWaitTimeout(raw: string | undefined): number {
  if (raw === undefined || raw === "") return 60;
  const m = /^(\d+)s?$/.exec(raw);
  if (!m) throw badRequest(`invalid timeout: ${JSON.stringify(raw)} is not a number of seconds`);
  return Math.min(60, Math.max(1, Number(m[1])));
}

export interface WaitRequest {
  appName: string;
  machineId: string;
  states: WaitState[];
  timeoutSeconds: number;
  /** A specific version (older versions are `replaced`). */
  version?: string;
  /** Only a state reached by an event after this one counts. */
  fromEventId?: string;
}

export interface WaitResult {
  ok: true;
  state: string;
  version: string;
  event_id: string;
}

const matches = (states: readonly WaitState[], state: string) => states.some((s) => s === state || (s === "settled" && SETTLED.has(state)));

function reached(m: MachineRecord, req: WaitRequest): WaitResult | undefined {
  if (req.version && req.version !== m.version) {
    // The version asked for was replaced: that is the only state it will ever be in.
    return matches(req.states, "replaced") ? { ok: true, state: "replaced", version: req.version, event_id: m.events.at(-1)?.id ?? "" } : undefined;
  }
  if (req.fromEventId !== undefined) {
    const after = req.fromEventId;
    const event = m.events.find((e) => e.id > after && matches(req.states, e.status));
    return event ? { ok: true, state: event.status, version: m.version, event_id: event.id } : undefined;
  }
  return matches(req.states, m.state) ? { ok: true, state: m.state, version: m.version, event_id: m.events.at(-1)?.id ?? "" } : undefined;
}

/**
 * Long-polls until the machine reaches one of the states, answering 408 `deadline_exceeded` like
 * Fly when the timeout passes first. A machine that disappears meanwhile is a 404.
 */
export async function waitForState(st: EmulatorState, req: WaitRequest, abort: AbortSignal): Promise<WaitResult> {
  const deadline = Date.now() + req.timeoutSeconds * 1000;
  let m = st.machine(req.appName, req.machineId);
  if (req.version && req.version !== m.version && !m.versions.some((v) => v.version === req.version)) throw notFound("machine version");
  for (;;) {
    const result = reached(m, req);
    if (result) return result;
    const remaining = deadline - Date.now();
    if (remaining <= 0 || abort.aborted || st.shutdownSignal.aborted) {
      const current: MachineState | "replaced" = req.version && req.version !== m.version ? "replaced" : m.state;
      throw new FlyError(408, `deadline_exceeded: machine failed to reach desired state, ${req.states[0]}, currently ${current}`);
    }
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        m.listeners.delete(done);
        abort.removeEventListener("abort", done);
        st.shutdownSignal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, remaining);
      m.listeners.add(done);
      abort.addEventListener("abort", done);
      st.shutdownSignal.addEventListener("abort", done);
    });
    m = st.machine(req.appName, req.machineId);
  }
}
