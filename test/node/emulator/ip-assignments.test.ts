import { describe, expect, it } from "vitest";
import { APP, ORG, useEmulator } from "./harness";

const h = useEmulator();
const IPS = `/v1/apps/${APP}/ip_assignments`;

describe("IP assignments", () => {
  it("allocates a Flycast private_v6 address in fdaa: with its network", async () => {
    const res = await h.fly("POST", IPS, { body: { type: "private_v6" } });
    expect(res.status).toBe(200);
    expect(res.body.ip).toMatch(/^fdaa:0:[0-9a-f]+:0:1::[0-9a-f]+$/);
    expect(res.body).toMatchObject({ region: "global", shared: false, network: { name: "", org_slug: ORG } });
  });

  it("allocates public addresses; shared_v4 is shared", async () => {
    expect((await h.fly("POST", IPS, { body: { type: "v6" } })).body.ip).toMatch(/^2a09:8280:1::/);
    expect((await h.fly("POST", IPS, { body: { type: "v4" } })).body.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect((await h.fly("POST", IPS, { body: { type: "shared_v4", service_name: "web" } })).body).toMatchObject({ shared: true, service_name: "web" });
  });

  it("lists and releases", async () => {
    const a = (await h.fly("POST", IPS, { body: { type: "private_v6", network: "n1" } })).body;
    const b = (await h.fly("POST", IPS, { body: { type: "v6" } })).body;
    expect((await h.fly("GET", IPS)).body.ips.map((i: any) => i.ip)).toEqual([a.ip, b.ip]);
    expect((await h.fly("DELETE", `${IPS}/${encodeURIComponent(a.ip)}`)).status).toBe(204);
    expect((await h.fly("GET", IPS)).body.ips.map((i: any) => i.ip)).toEqual([b.ip]);
    expect((await h.fly("DELETE", `${IPS}/${encodeURIComponent(a.ip)}`)).body).toEqual({ error: "ip assignment not found" });
  });

  it("rejects missing, unknown and egress types", async () => {
    expect((await h.fly("POST", IPS, { body: {} })).body.error).toContain("invalid type");
    expect((await h.fly("POST", IPS, { body: { type: "v5" } })).status).toBe(400);
    expect((await h.fly("POST", IPS, { body: { type: "egress_v4" } })).body.error).toContain("not emulated");
  });
});
