import { describe, expect, it } from "vitest";
import { APP, IMAGE, machinePath, useEmulator } from "./harness";

const h = useEmulator();
const trail = (events: any[]) => events.map((e) => `${e.type}/${e.status}/${e.source}`);

async function started() {
  const m = await h.createMachine();
  await h.waitFor(m.id, "started");
  return m;
}

describe("start and stop", () => {
  it("stops with the requested signal, records stop and exit events, and starts again", async () => {
    await h.setConfig({ transitionMs: 150 });
    const m = await started();
    expect((await h.fly("POST", machinePath(m.id, "/stop"), { body: { signal: "SIGTERM", timeout: "5s" } })).body).toEqual({ ok: true });
    expect((await h.fly("GET", machinePath(m.id))).body.state).toBe("stopping");
    await h.waitFor(m.id, "stopped");
    const events = (await h.fly("GET", machinePath(m.id, "/events"))).body;
    expect(trail(events).slice(0, 2)).toEqual(["exit/stopped/flyd", "stop/stopping/user"]);
    expect(events[1].request).toEqual({ signal: "SIGTERM" });
    expect(events[0].request.exit_event).toMatchObject({ exit_code: 0, requested_stop: true, restarting: false, oom_killed: false });
    expect(events[0].id > events[1].id).toBe(true);
    expect(events[0].timestamp).toBeGreaterThanOrEqual(events[1].timestamp);

    const res = await h.fly("POST", machinePath(m.id, "/start"));
    expect(res.body).toEqual({ previous_state: "stopped", migrated: false, new_host: "" });
    await h.waitFor(m.id, "started");
    expect(trail((await h.fly("GET", machinePath(m.id, "/events?limit=2"))).body)).toEqual(["start/started/flyd", "start/starting/user"]);
  });

  it("uses stop_config.signal, then SIGINT, when the stop request names none", async () => {
    const m = await h.createMachine({ config: { image: IMAGE, stop_config: { signal: "SIGQUIT" } } });
    await h.waitFor(m.id, "started");
    await h.fly("POST", machinePath(m.id, "/stop"), { body: {} });
    const events = (await h.fly("GET", machinePath(m.id, "/events"))).body;
    expect(events.find((e: any) => e.type === "stop").request).toEqual({ signal: "SIGQUIT" });
  });

  it("refuses to start from created with Fly's failed_precondition", async () => {
    const m = await h.createMachine({ skip_launch: true });
    const res = await h.fly("POST", machinePath(m.id, "/start"));
    expect(res.status).toBe(412);
    expect(res.body).toEqual({ error: "failed_precondition: unable to start machine from current state: 'created'" });
  });

  it("refuses to start while the machine is being replaced", async () => {
    await h.setConfig({ transitionMs: 200 });
    const m = await started();
    await h.fly("POST", machinePath(m.id, "/stop"), { body: {} });
    await h.waitFor(m.id, "stopped");
    await h.fly("POST", machinePath(m.id), { body: { config: { image: IMAGE } } });
    const res = await h.fly("POST", machinePath(m.id, "/start"));
    expect(res.status).toBe(412);
    expect(res.body.error).toBe("failed_precondition: machine getting replaced, refusing to start");
  });

  it("refuses to start a started machine or stop a stopped one", async () => {
    const m = await started();
    expect((await h.fly("POST", machinePath(m.id, "/start"))).body.error).toBe("failed_precondition: unable to start machine from current state: 'started'");
    await h.fly("POST", machinePath(m.id, "/stop"), { body: {} });
    await h.waitFor(m.id, "stopped");
    const res = await h.fly("POST", machinePath(m.id, "/stop"), { body: {} });
    expect(res.status).toBe(412);
    expect(res.body.error).toBe("failed_precondition: unable to stop machine from current state: 'stopped'");
  });

  it("validates the stop body", async () => {
    const m = await started();
    expect((await h.fly("POST", machinePath(m.id, "/stop"), { body: { signal: "SIGFOO" } })).body.error).toContain("invalid signal");
    expect((await h.fly("POST", machinePath(m.id, "/stop"), { body: { timeout: "soon" } })).body.error).toContain("invalid timeout");
  });
});

describe("suspend, restart, signal, cordon", () => {
  it("suspends a started machine and resumes it with start", async () => {
    const m = await started();
    expect((await h.fly("POST", machinePath(m.id, "/suspend"))).body).toEqual({ ok: true });
    await h.waitFor(m.id, "suspended");
    expect((await h.fly("POST", machinePath(m.id, "/start"))).body.previous_state).toBe("suspended");
    await h.waitFor(m.id, "started");
  });

  it("stops a suspended machine at once (the snapshot is discarded)", async () => {
    const m = await started();
    await h.fly("POST", machinePath(m.id, "/suspend"));
    await h.waitFor(m.id, "suspended");
    await h.fly("POST", machinePath(m.id, "/stop"), { body: {} });
    expect((await h.fly("GET", machinePath(m.id))).body.state).toBe("stopped");
  });

  it("refuses to suspend a machine that is not started", async () => {
    const m = await h.createMachine({ skip_launch: true });
    expect((await h.fly("POST", machinePath(m.id, "/suspend"))).status).toBe(412);
  });

  it("restarts through restarting back to started", async () => {
    await h.setConfig({ transitionMs: 150 });
    const m = await started();
    expect((await h.fly("POST", machinePath(m.id, "/restart?timeout=5s&signal=SIGTERM"))).body).toEqual({ ok: true });
    expect((await h.fly("GET", machinePath(m.id))).body.state).toBe("restarting");
    await h.waitFor(m.id, "started");
    expect(trail((await h.fly("GET", machinePath(m.id, "/events?limit=2"))).body)).toEqual(["start/started/flyd", "restart/restarting/user"]);
    expect((await h.fly("POST", machinePath(m.id, "/restart?signal=SIGNOPE"))).status).toBe(400);
  });

  it("accepts signals for a started machine without changing its state", async () => {
    const m = await started();
    expect((await h.fly("POST", machinePath(m.id, "/signal"), { body: { signal: "SIGUSR1" } })).body).toEqual({ ok: true });
    expect((await h.fly("GET", machinePath(m.id))).body.state).toBe("started");
    expect((await h.fly("POST", machinePath(m.id, "/signal"), { body: {} })).body.error).toBe("invalid signal: required");
  });

  it("cordons and uncordons; skip_service_registration creates it cordoned", async () => {
    const m = await h.createMachine({ skip_launch: true, skip_service_registration: true });
    expect(m.cordoned).toBe(true);
    expect((await h.fly("POST", machinePath(m.id, "/uncordon"))).body).toEqual({ ok: true });
    expect((await h.fly("GET", machinePath(m.id))).body.cordoned).toBe(false);
    await h.fly("POST", machinePath(m.id, "/cordon"));
    expect((await h.fly("GET", machinePath(m.id))).body.cordoned).toBe(true);
  });
});

describe("events", () => {
  it("lists newest first, 20 by default, at most 50", async () => {
    const m = await started();
    for (let i = 0; i < 12; i++) {
      await h.fly("POST", machinePath(m.id, "/restart"));
      await h.waitFor(m.id, "started");
    }
    expect((await h.fly("GET", machinePath(m.id, "/events"))).body).toHaveLength(20);
    const all = (await h.fly("GET", machinePath(m.id, "/events?limit=500"))).body;
    expect(all).toHaveLength(26);
    expect(all.map((e: any) => e.id)).toEqual(all.map((e: any) => e.id).sort().reverse());
    expect(all.at(-1)).toMatchObject({ type: "launch", status: "created", source: "user" });
    expect((await h.fly("GET", `/v1/apps/${APP}/machines/${m.id}/events?limit=0`)).status).toBe(400);
  });
});
