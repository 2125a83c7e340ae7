import { describe, expect, it } from "vitest";
import { limitFor, RateLimiter } from "../../../src/emulator/rate-limit";
import { APP, machinePath, useEmulator } from "./harness";

describe("RateLimiter", () => {
  it("allows a burst, then refills at the sustained rate", () => {
    let now = 0;
    const limiter = new RateLimiter(() => now);
    const limit = { rate: 1, burst: 3 };
    expect([1, 2, 3, 4].map(() => limiter.take("k", limit))).toEqual([true, true, true, false]);
    expect(limiter.take("other", limit)).toBe(true);
    now += 1000;
    expect([limiter.take("k", limit), limiter.take("k", limit)]).toEqual([true, false]);
  });

  it("uses Fly's documented limits", () => {
    expect(limitFor("GET /v1/apps/{app_name}/machines/{machine_id}")).toEqual({ rate: 5, burst: 10 });
    expect(limitFor("POST /v1/apps/{app_name}/machines/{machine_id}/start")).toEqual({ rate: 1, burst: 3 });
  });
});

describe("rate limits over HTTP", () => {
  const h = useEmulator({ rateLimits: true });

  it("answers 429 past a burst of 3 per action per machine, independently per machine and action", async () => {
    const [a, b] = [await h.createMachine({ skip_launch: true }), await h.createMachine({ skip_launch: true })];
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await h.fly("POST", machinePath(a.id, "/cordon"))).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect((await h.fly("POST", machinePath(a.id, "/cordon"))).body).toEqual({ error: "rate limit exceeded" });
    expect((await h.fly("POST", machinePath(b.id, "/cordon"))).status).toBe(200);
    expect((await h.fly("POST", machinePath(a.id, "/uncordon"))).status).toBe(200);
    await h.control("POST", "/_emulator/clock", { advanceMs: 1000 });
    expect((await h.fly("POST", machinePath(a.id, "/cordon"))).status).toBe(200);
  });

  it("scopes actions without a machine to the app: creates share one bucket", async () => {
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await h.fly("POST", `/v1/apps/${APP}/machines`, { body: { config: { image: "nginx" }, skip_launch: true } })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it("allows Get Machine 10 in a burst", async () => {
    await h.setConfig({ rateLimits: false });
    const m = await h.createMachine({ skip_launch: true });
    await h.setConfig({ rateLimits: true });
    const statuses = [];
    for (let i = 0; i < 11; i++) statuses.push((await h.fly("GET", machinePath(m.id))).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.at(-1)).toBe(429);
  });

  it("counts throttled calls in the stats", async () => {
    const m = await h.createMachine({ skip_launch: true });
    for (let i = 0; i < 4; i++) await h.fly("POST", machinePath(m.id, "/cordon"));
    expect((await h.control("GET", "/_emulator/stats")).body.calls["POST /v1/apps/{app_name}/machines/{machine_id}/cordon"]).toEqual({ 200: 3, 429: 1 });
  });
});
