import { describe, expect, it } from "vitest";
import { APP, FAST_CONFIG, machinePath, useEmulator } from "./harness";

const h = useEmulator();
const CREATE = "POST /v1/apps/{app_name}/machines";
const GET_MACHINE = "GET /v1/apps/{app_name}/machines/{machine_id}";

describe("config", () => {
  it("merges partial updates (faults and exec one level deep) and reports the result", async () => {
    const before = (await h.control("GET", "/_emulator/config")).body;
    expect(before).toMatchObject({ ...FAST_CONFIG, checkStatus: "passing", defaultRegion: "iad" });
    const res = await h.control("PUT", "/_emulator/config", { latencyMs: 5, faults: { errorStatus: 502 } });
    expect(res.body).toMatchObject({ latencyMs: 5, bootMs: FAST_CONFIG.bootMs, faults: { errorStatus: 502, errorRate: {}, create408: 0 } });
    expect((await h.control("GET", "/_emulator/config")).body.latencyMs).toBe(5);
  });

  it.each([
    [{ latencyMs: -1 }, "invalid latencyMs"],
    [{ rateLimits: "yes" }, "invalid rateLimits"],
    [{ faults: { errorRate: { [CREATE]: 2 } } }, `invalid faults.errorRate.${CREATE}`],
    [{ faults: { errorStatus: 418 } }, "invalid faults.errorStatus"],
    [{ bogus: 1 }, "invalid request body"],
    [{ faults: { errorRate: { "POST /v1/apps/{app}/machines": 0.5 } } }, 'invalid faults.errorRate: unknown route "POST /v1/apps/{app}/machines"'],
  ])("rejects %j naming the field", async (patch, message) => {
    const res = await h.control("PUT", "/_emulator/config", patch);
    expect(res.status).toBe(400);
    expect(res.body.error).toContain(message);
  });

  it("applies latencyMs to /v1 responses", async () => {
    await h.setConfig({ latencyMs: 150 });
    const started = Date.now();
    await h.fly("GET", `/v1/apps/${APP}`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(145);
  });

  it("reset drops everything but the configured apps and restores the starting config", async () => {
    await h.setConfig({ latencyMs: 7 });
    const m = await h.createMachine();
    await h.fly("POST", "/v1/apps", { body: { name: "fks-extra", org_slug: "test-org" } });
    expect((await h.control("POST", "/_emulator/reset")).body).toEqual({ ok: true });
    expect((await h.control("GET", "/_emulator/stats")).body).toEqual({ calls: {} });
    expect((await h.control("GET", "/_emulator/config")).body.latencyMs).toBe(0);
    expect((await h.fly("GET", machinePath(m.id))).status).toBe(404);
    expect((await h.fly("GET", "/v1/apps/fks-extra")).status).toBe(404);
    expect((await h.fly("GET", `/v1/apps/${APP}`)).status).toBe(200);
  });
});

describe("stats", () => {
  it("counts /v1 calls by spec route template and status", async () => {
    const m = await h.createMachine({ skip_launch: true });
    await h.fly("GET", machinePath(m.id));
    await h.fly("GET", machinePath("00000000000000"));
    await h.fly("GET", `/v1/apps/${APP}`, { token: null });
    expect((await h.control("GET", "/_emulator/stats")).body).toEqual({
      calls: { [CREATE]: { 200: 1 }, [GET_MACHINE]: { 200: 1, 404: 1 }, "GET /v1/apps/{app_name}": { 401: 1 } },
    });
  });

  it("?app= counts only the calls on that app's paths", async () => {
    await h.createMachine({ skip_launch: true });
    await h.fly("GET", "/v1/apps/fks-other/machines");
    expect((await h.control("GET", `/_emulator/stats?app=${APP}`)).body).toEqual({ calls: { [CREATE]: { 200: 1 } } });
    expect((await h.control("GET", "/_emulator/stats?app=fks-other")).body).toEqual({ calls: { "GET /v1/apps/{app_name}/machines": { 404: 1 } } });
    expect((await h.control("GET", "/_emulator/stats?app=fks-none")).body).toEqual({ calls: {} });
  });
});

describe("faults", () => {
  it("failNext: the next N calls of a route answer errorStatus and change nothing", async () => {
    await h.setConfig({ faults: { failNext: { [CREATE]: 2 } } });
    const a = await h.fly("POST", `/v1/apps/${APP}/machines`, { body: { config: { image: "nginx" } } });
    expect(a).toMatchObject({ status: 503, body: { error: "service unavailable" } });
    expect((await h.fly("POST", `/v1/apps/${APP}/machines`, { body: { config: { image: "nginx" } } })).status).toBe(503);
    expect((await h.fly("GET", `/v1/apps/${APP}/machines`)).body).toEqual([]);
    await h.createMachine();
    expect((await h.control("GET", "/_emulator/config")).body.faults.failNext[CREATE]).toBe(0);
  });

  it("errorRate: a seeded, reproducible share of calls fail", async () => {
    const run = async () => {
      await h.control("POST", "/_emulator/reset");
      await h.setConfig({ seed: 42, faults: { errorRate: { "GET /v1/apps/{app_name}": 0.5 } } });
      const statuses = [];
      for (let i = 0; i < 20; i++) statuses.push((await h.fly("GET", `/v1/apps/${APP}`)).status);
      return statuses;
    };
    const first = await run();
    expect(first).toContain(503);
    expect(first).toContain(200);
    expect(await run()).toEqual(first);
    // Reset restarts the PRNG too, even when the seed does not change.
    await h.control("POST", "/_emulator/reset");
    await h.setConfig({ faults: { errorRate: { "GET /v1/apps/{app_name}": 0.5 } } });
    const afterReset = [];
    for (let i = 0; i < 20; i++) afterReset.push((await h.fly("GET", `/v1/apps/${APP}`)).status);
    await h.control("POST", "/_emulator/reset");
    await h.setConfig({ faults: { errorRate: { "GET /v1/apps/{app_name}": 0.5 } } });
    for (const status of afterReset) expect((await h.fly("GET", `/v1/apps/${APP}`)).status).toBe(status);
    await h.setConfig({ faults: { errorRate: { "GET /v1/apps/{app_name}": 1 }, errorStatus: 500 } });
    expect((await h.fly("GET", `/v1/apps/${APP}`)).body).toEqual({ error: "internal server error" });
  });

  it("create408: the create answers 408 but the machine exists", async () => {
    await h.setConfig({ faults: { create408: 1 } });
    const res = await h.fly("POST", `/v1/apps/${APP}/machines`, { body: { config: { image: "nginx", metadata: { attempt: "1" } } } });
    expect(res.status).toBe(408);
    expect(res.body.error).toMatch(/^deadline_exceeded: /);
    const listed = (await h.fly("GET", `/v1/apps/${APP}/machines?metadata.attempt=1`)).body;
    expect(listed).toHaveLength(1);
    expect((await h.fly("POST", `/v1/apps/${APP}/machines`, { body: { config: { image: "nginx" } } })).status).toBe(200);
  });

  it("faults.apps scopes injected faults to the named apps", async () => {
    await h.fly("POST", "/v1/apps", { body: { name: "other-app", org_slug: "personal" } });
    await h.setConfig({ faults: { apps: ["other-app"], create408: 1, failNext: { "GET /v1/apps/{app_name}": 1 } } });
    expect((await h.fly("GET", `/v1/apps/${APP}`)).status).toBe(200);
    expect((await h.fly("POST", `/v1/apps/${APP}/machines`, { body: { config: { image: "nginx" } } })).status).toBe(200);
    expect((await h.fly("GET", "/v1/apps/other-app")).status).toBe(503);
    expect((await h.fly("POST", "/v1/apps/other-app/machines", { body: { config: { image: "nginx" } } })).status).toBe(408);
  });

  it("failBoots: the next boots end in failed; a failed machine can be started or destroyed", async () => {
    await h.setConfig({ faults: { failBoots: 1 } });
    const m = await h.createMachine();
    expect((await h.waitFor(m.id, "failed")).state).toBe("failed");
    expect((await h.fly("GET", machinePath(m.id, "/events?limit=1"))).body[0]).toMatchObject({ type: "start", status: "failed", source: "flyd" });
    expect((await h.fly("POST", machinePath(m.id, "/start"))).body.previous_state).toBe("failed");
    await h.waitFor(m.id, "started");
    await h.setConfig({ faults: { failBoots: 1 } });
    await h.fly("POST", machinePath(m.id, "/restart"));
    await h.waitFor(m.id, "failed");
    expect((await h.fly("DELETE", machinePath(m.id))).status).toBe(200);
  });
});

describe("state dump and clock", () => {
  it("dumps raw machine records, destroyed ones included", async () => {
    const m = await h.createMachine({ skip_launch: true });
    await h.fly("DELETE", machinePath(m.id));
    await h.waitFor(m.id, "destroyed");
    const [record] = (await h.control("GET", `/_emulator/apps/${APP}/machines`)).body;
    expect(record).toMatchObject({ id: m.id, state: "destroyed", version: m.version, restartCount: 0 });
    expect(record.events.map((e: any) => e.type)).toEqual(["launch", "destroy", "destroy"]);
    expect((await h.control("GET", "/_emulator/apps/nope/machines")).status).toBe(404);
  });

  it("advances the emulator clock", async () => {
    const before = Date.now();
    const { body } = await h.control("POST", "/_emulator/clock", { advanceMs: 3_600_000 });
    expect(body.now).toBeGreaterThanOrEqual(before + 3_600_000);
    expect((await h.control("POST", "/_emulator/clock", { advanceMs: -1 })).body.error).toContain("invalid advanceMs");
  });
});
