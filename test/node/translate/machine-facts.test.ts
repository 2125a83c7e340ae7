import { describe, expect, it } from "vitest";
import { readExit, wantsRestart, type ObservedEvent } from "../../../src/worker/translate/machine-facts";
import { summarizeEvents } from "../../../src/worker/translate/machine-events";

const exitEvent = (request: Record<string, unknown> | null, timestamp = 1_000): ObservedEvent => ({ type: "exit", status: "stopped", source: "flyd", timestamp, request });
const x = (code: number, extra: Record<string, unknown> = {}) => ({ exit_code: code, oom_killed: false, requested_stop: false, restarting: false, ...extra });

describe("readExit: the one reader of an exit, both of Fly's forms", () => {
  it.each([
    ["exit_event", { exit_event: x(3) }, 3],
    ["MonitorEvent.exit_event", { MonitorEvent: { exit_event: x(3) } }, 3],
    ["MonitorEvent wins over exit_event (fly-go)", { MonitorEvent: { exit_event: x(0) }, exit_event: x(3) }, 0],
    ["guest_exit_code when exit_code is absent", { exit_event: { guest_exit_code: 5 } }, 5],
    ["an exit record without a code is 0 (fly-go's zero value)", { exit_event: {} }, 0],
    ["no exit record in either form: unknown", { restart_count: 1 }, undefined],
    ["no request at all: unknown", null, undefined],
  ])("%s", (_name, request, code) => {
    expect(readExit(exitEvent(request)).exitCode).toBe(code);
  });
});

describe("restart decision and pod status read the same exit", () => {
  it.each([
    ["exit_event", { exit_event: x(0) }],
    ["MonitorEvent", { MonitorEvent: { exit_event: x(0) } }],
  ])("exit 0 as %s: OnFailure does not restart, status says exit 0 Completed", (_form, request) => {
    const events = [exitEvent(request)];
    expect(wantsRestart("OnFailure", events)).toBe(false);
    expect(summarizeEvents(events).lastExit).toMatchObject({ exitCode: 0, known: true });
  });

  it("an exit of unknown code: OnFailure restarts, status does not claim success", () => {
    const events = [exitEvent({})];
    expect(wantsRestart("OnFailure", events)).toBe(true);
    expect(summarizeEvents(events).lastExit).toMatchObject({ exitCode: 137, known: false });
  });

  it("the newest exit decides, whatever order the events came in", () => {
    const events = [exitEvent({ exit_event: x(0) }, 2_000), exitEvent({ exit_event: x(1) }, 1_000)];
    expect(wantsRestart("OnFailure", events)).toBe(false);
    expect(wantsRestart("OnFailure", [...events].reverse())).toBe(false);
    expect(wantsRestart("Always", events)).toBe(true);
    expect(wantsRestart("Never", [exitEvent({ exit_event: x(1) })])).toBe(false);
  });
});
