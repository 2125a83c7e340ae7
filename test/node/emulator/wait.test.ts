import { describe, expect, it } from "vitest";
import { startEmulator } from "../../../src/emulator/server";
import { APP, machinePath, TOKEN, useEmulator, validator } from "./harness";

const h = useEmulator();

describe("wait", () => {
  it("waits for started by default and answers {ok, state, version, event_id}", async () => {
    const m = await h.createMachine();
    const res = await h.fly("GET", machinePath(m.id, "/wait"));
    expect(res.status).toBe(200);
    const latest = (await h.fly("GET", machinePath(m.id, "/events?limit=1"))).body[0];
    expect(res.body).toEqual({ ok: true, state: "started", version: m.version, event_id: latest.id });
  });

  it("accepts several states, comma-separated or repeated, and settled", async () => {
    const m = await h.createMachine({ skip_launch: true });
    expect((await h.fly("GET", machinePath(m.id, "/wait?state=stopped,settled&timeout=1"))).body.state).toBe("created");
    const s = await h.createMachine();
    expect((await h.fly("GET", machinePath(s.id, "/wait?state=stopped&state=started"))).body.state).toBe("started");
  });

  it("answers 408 deadline_exceeded when the state is not reached in time", async () => {
    const m = await h.createMachine({ skip_launch: true });
    const res = await h.fly("GET", machinePath(m.id, "/wait?state=started&timeout=1"));
    expect(res.status).toBe(408);
    expect(res.body).toEqual({ error: "deadline_exceeded: machine failed to reach desired state, started, currently created" });
  });

  it("with from_event_id, counts only states reached after that event", async () => {
    const m = await h.createMachine();
    const first = await h.waitFor(m.id, "started");
    await h.fly("POST", machinePath(m.id, "/restart"));
    const res = await h.fly("GET", machinePath(m.id, `/wait?state=started&from_event_id=${first.event_id}&timeout=10`));
    expect(res.body.state).toBe("started");
    expect(res.body.event_id > first.event_id).toBe(true);
  });

  it("with version, waits on that version; an older one is replaced", async () => {
    const m = await h.createMachine();
    await h.waitFor(m.id, "started");
    const updated = (await h.fly("POST", machinePath(m.id), { body: { config: { image: "nginx" } } })).body;
    expect((await h.fly("GET", machinePath(m.id, `/wait?state=started&version=${updated.version}&timeout=10`))).body.version).toBe(updated.version);
    expect((await h.fly("GET", machinePath(m.id, `/wait?state=started&instance_id=${m.version}&timeout=1`))).body.error).toBe(
      "deadline_exceeded: machine failed to reach desired state, started, currently replaced",
    );
    expect((await h.fly("GET", machinePath(m.id, `/wait?state=settled&version=${m.version}`))).body.state).toBe("replaced");
    expect((await h.fly("GET", machinePath(m.id, "/wait?version=01ARZ3NDEKTSV4RRFFQ69G5FAV"))).status).toBe(404);
  });

  it("succeeds waiting for destroyed on a destroyed machine; a forgotten machine is a 404", async () => {
    await h.setConfig({ destroyedRetentionMs: 50 });
    const m = await h.createMachine({ skip_launch: true });
    await h.fly("DELETE", machinePath(m.id));
    expect((await h.fly("GET", machinePath(m.id, "/wait?state=destroyed&timeout=5"))).body.state).toBe("destroyed");
    expect((await h.fly("GET", machinePath(m.id, "/wait?state=destroyed"))).body.state).toBe("destroyed");
    await new Promise((r) => setTimeout(r, 100));
    expect((await h.fly("GET", machinePath(m.id, "/wait?state=destroyed"))).body).toEqual({ error: "machine not found" });
  });

  it("rejects unknown states and malformed timeouts", async () => {
    const m = await h.createMachine({ skip_launch: true });
    expect((await h.fly("GET", machinePath(m.id, "/wait?state=running"))).body.error).toContain('invalid state: "running"');
    expect((await h.fly("GET", machinePath(m.id, "/wait?timeout=soon"))).body.error).toContain("invalid timeout");
  });
});

describe("closing the emulator", () => {
  it("ends pending waits instead of holding close() for their timeout", async () => {
    const emu = await startEmulator({ tokens: [TOKEN], apps: [APP], config: { rateLimits: false } });
    const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
    const created = await fetch(`${emu.url}/v1/apps/${APP}/machines`, { method: "POST", headers, body: JSON.stringify({ config: { image: "nginx" }, skip_launch: true }) });
    const body = (await created.json()) as { id: string };
    validator.assertValid({ method: "POST", path: `/v1/apps/${APP}/machines`, status: created.status, body });
    const { id } = body;
    const pending = fetch(`${emu.url}${machinePath(id, "/wait?state=started&timeout=60")}`, { headers }).catch((err: unknown) => err);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await emu.close();
    expect(Date.now() - started).toBeLessThan(5_000);
    await pending;
  });
});
