import { appendLog, lifecycleLine } from "./app-logs";
import { rfc3339 } from "./clock";
import { conflict, failedPrecondition } from "./errors";
import type { MachineConfig } from "./machine-config";
import { transition, wakeWaiters, type EventSpec } from "./machine-events";
import type { AppRecord, MachineRecord, MachineState } from "./model";
import { RESTART_WINDOW_MS, restartsSince, shouldRestart, type ProcessExit } from "./restart-policy";
import type { EmulatorState } from "./state";
import { faultsApply } from "./v1-middleware";

/**
 * Machine state transitions as flyd performs them: the request moves the machine into a transient
 * state at once, and a timer (bootMs / transitionMs) moves it on to the resting state. Each machine
 * has at most one pending timer; a newer transition replaces it.
 */

export const RUNNING: ReadonlySet<MachineState> = new Set(["started", "starting", "restarting"]);
const STARTABLE: ReadonlySet<MachineState> = new Set(["stopped", "suspended", "failed"]);
const DESTROYABLE: ReadonlySet<MachineState> = new Set(["stopped", "suspended", "failed", "created"]);
const RESTARTABLE: ReadonlySet<MachineState> = new Set(["started", "stopped", "suspended", "failed"]);

function schedule(st: EmulatorState, m: MachineRecord, ms: number, fn: () => void): void {
  st.timers.cancel(m.pending);
  m.pending = st.timers.after(ms, () => {
    m.pending = undefined;
    fn();
  });
}

/** The images a machine's config runs (the top-level one and each container's). */
function imagesOf(config: MachineConfig): string[] {
  return [config.image, ...(config.containers ?? []).map((c) => c.image)].filter((i): i is string => typeof i === "string" && i !== "");
}

/**
 * starting, then started after bootMs, plus imagePullMs when the host lacks one of its images
 * (or failed, when `faults.failBoots` says so).
 */
function boot(st: EmulatorState, m: MachineRecord, event?: EventSpec): void {
  transition(st, m, "starting", event);
  const images = imagesOf(m.config);
  const pull = images.some((i) => !m.pulledImages.has(i)) ? st.config.imagePullMs : 0;
  schedule(st, m, st.config.bootMs + pull, () => {
    for (const i of images) m.pulledImages.add(i);
    const fails = st.config.faults.failBoots > 0 && faultsApply(st, m.app);
    if (fails) st.config.faults.failBoots -= 1;
    transition(st, m, fails ? "failed" : "started", { type: "start", source: "flyd" });
  });
}

/** The `request` of an `exit` event, in the form `exitEventForm` configures. */
function exitRequest(st: EmulatorState, m: MachineRecord, exit: ProcessExit, requestedStop: boolean, restarting: boolean): Record<string, unknown> {
  const exitEvent = {
    exit_code: exit.exitCode,
    guest_exit_code: exit.exitCode,
    oom_killed: exit.oomKilled,
    requested_stop: requestedStop,
    restarting,
    exited_at: rfc3339(st.now()),
  };
  const form = st.config.exitEventForm === "MonitorEvent" ? { MonitorEvent: { exit_event: exitEvent } } : { exit_event: exitEvent };
  return { ...form, restart_count: m.restartCount };
}

/** The main process is gone and will not come back: stopped, then destroyed if `auto_destroy`. */
function settleStopped(st: EmulatorState, app: AppRecord, m: MachineRecord, event: EventSpec): void {
  transition(st, m, "stopped", event);
  if (m.config.auto_destroy) beginDestroy(st, app, m, "flyd");
}

/** A new machine: `created`, then it boots unless `skip_launch`. */
export function launch(st: EmulatorState, m: MachineRecord, skipLaunch: boolean): void {
  appendLog(st, m, { message: lifecycleLine(m, "created") ?? "", level: "info", provider: "runner" });
  transition(st, m, "created", { type: "launch", source: "user" });
  if (!skipLaunch) schedule(st, m, 0, () => boot(st, m));
}

export function start(st: EmulatorState, m: MachineRecord): MachineState {
  if (m.state === "replacing") throw failedPrecondition("machine getting replaced, refusing to start");
  if (!STARTABLE.has(m.state)) throw failedPrecondition(`unable to start machine from current state: '${m.state}'`);
  const previous = m.state;
  m.restartCount = 0;
  boot(st, m, { type: "start", source: "user" });
  return previous;
}

export function stop(st: EmulatorState, app: AppRecord, m: MachineRecord, signal: string): void {
  if (m.state === "suspended") {
    // Stopping a suspended machine discards its snapshot; there is no process to signal.
    settleStopped(st, app, m, { type: "stop", source: "user" });
    return;
  }
  if (!RUNNING.has(m.state)) throw failedPrecondition(`unable to stop machine from current state: '${m.state}'`);
  transition(st, m, "stopping", { type: "stop", source: "user", request: { signal } });
  schedule(st, m, st.config.transitionMs, () =>
    settleStopped(st, app, m, { type: "exit", source: "flyd", request: exitRequest(st, m, { exitCode: 0, oomKilled: false }, true, false) }),
  );
}

export function suspend(st: EmulatorState, m: MachineRecord): void {
  if (m.state !== "started") throw failedPrecondition(`unable to suspend machine from current state: '${m.state}'`);
  transition(st, m, "suspending", { type: "suspend", source: "user" });
  schedule(st, m, st.config.transitionMs, () => transition(st, m, "suspended", { type: "suspend", source: "flyd" }));
}

export function restart(st: EmulatorState, m: MachineRecord): void {
  if (!RESTARTABLE.has(m.state)) throw failedPrecondition(`unable to restart machine from current state: '${m.state}'`);
  m.restartCount = 0;
  transition(st, m, "restarting", { type: "restart", source: "user" });
  schedule(st, m, st.config.transitionMs, () => boot(st, m));
}

function beginDestroy(st: EmulatorState, app: AppRecord, m: MachineRecord, source: "user" | "flyd"): void {
  m.lease = undefined;
  transition(st, m, "destroying", { type: "destroy", source });
  schedule(st, m, st.config.transitionMs, () => {
    m.destroyedAt = st.now();
    for (const v of app.volumes.values()) if (v.attachedMachineId === m.id) v.attachedMachineId = undefined;
    transition(st, m, "destroyed", { type: "destroy", source: "flyd" });
    // Fly keeps answering with state "destroyed" for a while, then "machine not found".
    schedule(st, m, st.config.destroyedRetentionMs, () => {
      if (app.machines.get(m.id) === m) app.machines.delete(m.id);
      wakeWaiters(m);
    });
  });
}

/** Without `force`, only machines that are not running can be destroyed (412 otherwise, like Fly). */
export function destroy(st: EmulatorState, app: AppRecord, m: MachineRecord, force: boolean): void {
  if (m.state === "destroying") return;
  if (!force && !DESTROYABLE.has(m.state)) {
    throw failedPrecondition("unable to destroy machine, not currently stopped, suspended, failed or created");
  }
  beginDestroy(st, app, m, "user");
}

/**
 * An update: a new version with the new config, booted into unless `skip_launch`: a running machine
 * is stopped and booted, a stopped one started ("Update starts a stopped Machine unless
 * skip_launch", fly-mapping.md §8; a never-launched `created` one is assumed to launch alike).
 * With `skip_launch` it rests stopped (or created, if it never ran).
 */
export function replace(st: EmulatorState, m: MachineRecord, config: MachineConfig, skipLaunch: boolean): void {
  if (m.state === "replacing") throw conflict("machine is already being replaced, retry once the update finished");
  if (m.state === "destroying") throw failedPrecondition(`unable to update machine from current state: '${m.state}'`);
  const boots = !skipLaunch && (RUNNING.has(m.state) || STARTABLE.has(m.state) || m.state === "created");
  const resting: MachineState = m.state === "created" ? "created" : "stopped";
  m.version = st.newUlid();
  m.config = config;
  m.versions.push({ version: m.version, config });
  m.restartCount = 0;
  transition(st, m, "replacing", { type: "update", source: "user" });
  schedule(st, m, st.config.transitionMs, () => (boots ? boot(st, m) : transition(st, m, resting, { type: "update", source: "flyd" })));
}

/** The main process exited on its own: the restart policy decides between restarting and stopped. */
export function processExited(st: EmulatorState, app: AppRecord, m: MachineRecord, exit: ProcessExit): { restarting: boolean } {
  if (m.state !== "started") throw conflict(`machine is not running (state: ${m.state})`);
  const now = st.now();
  const restarting = shouldRestart(m.config.restart, exit, restartsSince(m.autoRestarts, now));
  const how = exit.oomKilled ? "was killed: out of memory" : `exited with code: ${exit.exitCode}`;
  appendLog(st, m, { message: `Main child ${how}`, level: exit.exitCode === 0 && !exit.oomKilled ? "info" : "error", provider: "runner" });
  if (restarting) {
    m.autoRestarts = [...m.autoRestarts.filter((t) => now - t < RESTART_WINDOW_MS), now];
    m.restartCount += 1;
    transition(st, m, "restarting", { type: "exit", source: "flyd", request: exitRequest(st, m, exit, false, true) });
    schedule(st, m, st.config.transitionMs, () => boot(st, m));
  } else {
    settleStopped(st, app, m, { type: "exit", source: "flyd", request: exitRequest(st, m, exit, false, false) });
  }
  return { restarting };
}
