import { describe, expect, it } from "vitest";
import { tokenOwner } from "../../../src/emulator/ids";
import { APP, IMAGE, machinePath, TOKEN, useEmulator } from "./harness";

const OTHER = "other-token";
const h = useEmulator();
const NONCE = "fly-machine-lease-nonce";
const HELD = /^machine ID [0-9a-f]{14} lease currently held by [0-9a-f-]+@tokens\.fly\.io, expires at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

async function leased(ttl = 60) {
  const m = await h.createMachine();
  await h.waitFor(m.id, "started");
  const res = await h.fly("POST", machinePath(m.id, "/lease"), { body: { ttl, description: "deploy" } });
  expect(res.status).toBe(201);
  return { m, lease: res.body.data };
}

describe("leases", () => {
  it("acquires with the wire envelope: 12-hex nonce, unix-second expiry, owner, version", async () => {
    const before = Math.floor(Date.now() / 1000);
    const { m, lease } = await leased(30);
    expect(lease.nonce).toMatch(/^[0-9a-f]{12}$/);
    expect(lease.expires_at).toBeGreaterThanOrEqual(before + 30);
    expect(lease.expires_at).toBeLessThanOrEqual(before + 32);
    expect(lease).toMatchObject({ owner: tokenOwner(TOKEN), description: "deploy", version: m.version });
    const got = await h.fly("GET", machinePath(m.id, "/lease"));
    expect(got.body).toEqual({ status: "success", data: lease });
  });

  it("takes the TTL from ?ttl= as fly-go sends it", async () => {
    const m = await h.createMachine({ skip_launch: true });
    const before = Math.floor(Date.now() / 1000);
    const { data } = (await h.fly("POST", machinePath(m.id, "/lease?ttl=120"))).body;
    expect(data.expires_at).toBeGreaterThanOrEqual(before + 120);
    expect((await h.fly("POST", machinePath(m.id, "/lease?ttl=0"))).status).toBe(400);
  });

  it("answers 404 when there is no lease", async () => {
    const m = await h.createMachine({ skip_launch: true });
    expect((await h.fly("GET", machinePath(m.id, "/lease"))).body).toEqual({ error: "lease not found" });
  });

  it("refuses a second holder with 409 and Fly's message; the holder refreshes with its nonce", async () => {
    const { m, lease } = await leased(10);
    const taken = await h.fly("POST", machinePath(m.id, "/lease"), { body: { ttl: 10 } });
    expect(taken.status).toBe(409);
    expect(taken.body.error).toMatch(HELD);
    const refreshed = await h.fly("POST", machinePath(m.id, "/lease"), { body: { ttl: 600 }, headers: { [NONCE]: lease.nonce } });
    expect(refreshed.status).toBe(201);
    expect(refreshed.body.data.nonce).toBe(lease.nonce);
    expect(refreshed.body.data.expires_at).toBeGreaterThan(lease.expires_at);
  });

  it("guards update, start, stop, restart, suspend, cordon, uncordon and delete; not create, metadata or signal", async () => {
    const { m, lease } = await leased();
    const guarded: [string, string, unknown?][] = [
      ["POST", "", { config: { image: IMAGE } }],
      ["POST", "/stop", {}],
      ["POST", "/start"],
      ["POST", "/restart"],
      ["POST", "/suspend"],
      ["POST", "/cordon"],
      ["POST", "/uncordon"],
      ["DELETE", "?force=true"],
    ];
    for (const [method, suffix, body] of guarded) {
      const res = await h.fly(method, machinePath(m.id, suffix), { body });
      expect(res.status, `${method} ${suffix}`).toBe(409);
      expect(res.body.error).toMatch(HELD);
    }
    expect((await h.fly("POST", machinePath(m.id, "/metadata/k"), { body: { value: "v" } })).status).toBe(204);
    expect((await h.fly("POST", machinePath(m.id, "/signal"), { body: { signal: "SIGHUP" } })).status).toBe(200);
    expect((await h.fly("POST", machinePath(m.id, "/cordon"), { headers: { [NONCE]: lease.nonce } })).status).toBe(200);
    expect((await h.fly("POST", machinePath(m.id, "/stop"), { body: {}, headers: { [NONCE]: "000000000000" } })).status).toBe(409);
    expect((await h.fly("POST", machinePath(m.id, "/stop"), { body: {}, headers: { [NONCE]: lease.nonce } })).status).toBe(200);
  });

  it("rejects exec with 409 while leased, even for the holder", async () => {
    const { m, lease } = await leased();
    const res = await h.fly("POST", machinePath(m.id, "/exec"), { body: { command: ["true"] }, headers: { [NONCE]: lease.nonce } });
    expect(res.status).toBe(409);
  });

  it("releases only with the nonce", async () => {
    const { m, lease } = await leased();
    expect((await h.fly("DELETE", machinePath(m.id, "/lease"))).body.error).toContain("fly-machine-lease-nonce header is required");
    expect((await h.fly("DELETE", machinePath(m.id, "/lease"), { headers: { [NONCE]: "000000000000" } })).status).toBe(409);
    const res = await h.fly("DELETE", machinePath(m.id, "/lease"), { headers: { [NONCE]: lease.nonce } });
    expect(res.body).toEqual({ status: "success", data: { ok: true } });
    expect((await h.fly("GET", machinePath(m.id, "/lease"))).status).toBe(404);
    expect((await h.fly("DELETE", machinePath(m.id, "/lease"), { headers: { [NONCE]: lease.nonce } })).body).toEqual({ error: "lease not found" });
  });

  it("expires: afterwards anyone may act and acquire", async () => {
    const { m } = await leased(5);
    await h.control("POST", "/_emulator/clock", { advanceMs: 5_000 });
    expect((await h.fly("GET", machinePath(m.id, "/lease"))).status).toBe(404);
    expect((await h.fly("POST", machinePath(m.id, "/cordon"))).status).toBe(200);
    expect((await h.fly("POST", machinePath(m.id, "/lease"), { body: { ttl: 5 } })).status).toBe(201);
  });

  it("create with lease_ttl returns the nonce once; include_leases shows the lease without it", async () => {
    const m = await h.createMachine({ lease_ttl: 60 });
    expect(m.nonce).toMatch(/^[0-9a-f]{12}$/);
    const shown = (await h.fly("GET", machinePath(m.id, "?include_leases=true"))).body;
    expect(shown.nonce).toBeUndefined();
    expect(shown.lease).toEqual({ owner: tokenOwner(TOKEN), expires_at: expect.any(Number), description: "" });
    expect((await h.fly("GET", machinePath(m.id))).body.lease).toBeUndefined();
    const listed = (await h.fly("GET", `/v1/apps/${APP}/machines?include_leases=true`)).body;
    expect(listed[0].lease.owner).toBe(tokenOwner(TOKEN));
    expect((await h.fly("POST", machinePath(m.id), { body: { config: { image: IMAGE } } })).status).toBe(409);
    expect((await h.fly("POST", machinePath(m.id), { body: { config: { image: IMAGE } }, headers: { [NONCE]: m.nonce } })).status).toBe(200);
  });

  it("tells owners apart by token", async () => {
    expect(tokenOwner(TOKEN)).not.toBe(tokenOwner(OTHER));
    expect(tokenOwner(TOKEN)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}@tokens\.fly\.io$/);
  });
});
