import type { MachineEventRecord, MachineRecord, MachineState } from "./model";
import { appendLog, lifecycleLine } from "./app-logs";
import type { EmulatorState } from "./state";

/** Events kept per machine (the events endpoint serves at most 50). */
const EVENTS_KEPT = 100;

export interface EventSpec {
  type: MachineEventRecord["type"];
  source: MachineEventRecord["source"];
  request?: Record<string, unknown>;
}

export function wakeWaiters(m: MachineRecord): void {
  for (const wake of [...m.listeners]) wake();
}

/** Moves the machine to `state`, recording `event` (whose status is that state) when given. */
export function transition(st: EmulatorState, m: MachineRecord, state: MachineState, event?: EventSpec): void {
  const line = state !== m.state ? lifecycleLine(m, state) : undefined;
  if (line) appendLog(st, m, { message: line, level: state === "failed" ? "error" : "info", provider: "runner" });
  m.state = state;
  m.updatedAt = st.now();
  if (event) {
    m.events.push({ id: st.newUlid(), type: event.type, status: state, source: event.source, timestamp: st.now(), ...(event.request ? { request: event.request } : {}) });
    if (m.events.length > EVENTS_KEPT) m.events.shift();
  }
  wakeWaiters(m);
}
