import { describe, expect, it } from "vitest";
import { DEFAULT_MAX_RETRIES, restartsSince, RESTART_WINDOW_MS, shouldRestart } from "../../../src/emulator/restart-policy";
import { APP, IMAGE, machinePath, useEmulator } from "./harness";

describe("shouldRestart (restart policy docs)", () => {
  it.each([
    [undefined, 1, false, 0, true],
    [undefined, 0, false, 0, false],
    [undefined, 0, true, 0, true],
    [undefined, 1, false, DEFAULT_MAX_RETRIES, false],
    [{ policy: "on-failure" as const, max_retries: 2 }, 1, false, 1, true],
    [{ policy: "on-failure" as const, max_retries: 2 }, 1, false, 2, false],
    [{ policy: "no" as const }, 1, false, 0, false],
    [{ policy: "always" as const }, 0, false, 0, true],
    [{ policy: "always" as const }, 1, false, 1000, true],
  ])("%j exit %i oom %s after %i restarts -> %s", (restart, exitCode, oomKilled, recent, expected) => {
    expect(shouldRestart(restart, { exitCode, oomKilled }, recent)).toBe(expected);
  });

  it("counts only restarts inside the five-minute window", () => {
    expect(restartsSince([0, RESTART_WINDOW_MS - 1, RESTART_WINDOW_MS + 10], RESTART_WINDOW_MS + 20)).toBe(2);
  });
});

describe("POST /_emulator/apps/{app}/machines/{id}/exit", () => {
  const h = useEmulator();

  async function startedWith(restart?: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    const m = await h.createMachine({ config: { image: IMAGE, ...(restart ? { restart } : {}), ...extra } });
    await h.waitFor(m.id, "started");
    return m;
  }
  const exit = (id: string, body: unknown) => h.control("POST", `/_emulator/apps/${APP}/machines/${id}/exit`, body);
  const lastExit = async (id: string) => (await h.fly("GET", machinePath(id, "/events"))).body.find((e: any) => e.type === "exit");

  it("policy no: the machine stops, with an exit event saying so", async () => {
    const m = await startedWith({ policy: "no" });
    expect((await exit(m.id, { exitCode: 3 })).body).toEqual({ ok: true, restarting: false, state: "stopped", restart_count: 0 });
    expect(await lastExit(m.id)).toMatchObject({
      status: "stopped",
      source: "flyd",
      request: { exit_event: { exit_code: 3, oom_killed: false, requested_stop: false, restarting: false }, restart_count: 0 },
    });
  });

  it("exitEventForm MonitorEvent: the exit rides in request.MonitorEvent.exit_event, for a process exit and a stop alike", async () => {
    await h.setConfig({ exitEventForm: "MonitorEvent" });
    const m = await startedWith({ policy: "no" });
    await exit(m.id, { exitCode: 4 });
    const e = await lastExit(m.id);
    expect(e.request).toMatchObject({ MonitorEvent: { exit_event: { exit_code: 4, requested_stop: false } }, restart_count: 0 });
    expect(e.request.exit_event).toBeUndefined();
    const n = await startedWith({ policy: "no" });
    expect((await h.fly("POST", machinePath(n.id, "/stop"), { body: {} })).status).toBe(200);
    await h.waitFor(n.id, "stopped");
    expect((await lastExit(n.id)).request.MonitorEvent.exit_event).toMatchObject({ exit_code: 0, requested_stop: true });
  });

  it("policy always: restarts even after a clean exit", async () => {
    const m = await startedWith({ policy: "always" });
    expect((await exit(m.id, { exitCode: 0 })).body).toMatchObject({ restarting: true, state: "restarting", restart_count: 1 });
    await h.waitFor(m.id, "started");
    expect(await lastExit(m.id)).toMatchObject({ status: "restarting", request: { exit_event: { restarting: true }, restart_count: 1 } });
  });

  it("unset policy is on-failure: restarts on failure, stops on success", async () => {
    const m = await startedWith();
    expect((await exit(m.id, { exitCode: 137, oomKilled: true })).body.restarting).toBe(true);
    expect((await lastExit(m.id)).request.exit_event).toMatchObject({ exit_code: 137, oom_killed: true });
    await h.waitFor(m.id, "started");
    expect((await exit(m.id, { exitCode: 0 })).body).toMatchObject({ restarting: false, state: "stopped" });
  });

  it("on-failure gives up after max_retries and leaves the machine stopped", async () => {
    const m = await startedWith({ policy: "on-failure", max_retries: 2 });
    for (const expected of [1, 2]) {
      expect((await exit(m.id, { exitCode: 1 })).body).toMatchObject({ restarting: true, restart_count: expected });
      await h.waitFor(m.id, "started");
    }
    expect((await exit(m.id, { exitCode: 1 })).body).toMatchObject({ restarting: false, state: "stopped", restart_count: 2 });
  });

  it("on-failure retries again once earlier restarts leave the five-minute window", async () => {
    const m = await startedWith({ policy: "on-failure", max_retries: 1 });
    await exit(m.id, { exitCode: 1 });
    await h.waitFor(m.id, "started");
    await h.control("POST", "/_emulator/clock", { advanceMs: RESTART_WINDOW_MS });
    expect((await exit(m.id, { exitCode: 1 })).body.restarting).toBe(true);
  });

  it("auto_destroy: a machine that exits for good is destroyed", async () => {
    const m = await startedWith({ policy: "no" }, { auto_destroy: true });
    await exit(m.id, { exitCode: 0 });
    await h.waitFor(m.id, "destroyed");
  });

  it("refuses machines that are not running, and bad bodies", async () => {
    const m = await h.createMachine({ skip_launch: true });
    expect((await exit(m.id, { exitCode: 1 })).status).toBe(409);
    expect((await exit(m.id, { exitCode: "1" })).body.error).toContain("invalid exitCode");
    expect((await exit("00000000000000", { exitCode: 1 })).status).toBe(404);
  });
});
