import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { APP, IMAGE, machinePath, ORG, useEmulator } from "./harness";

const h = useEmulator({}, { loopback: true });
const IPS = `/v1/apps/${APP}/ip_assignments`;

/** A pod machine behind one Service port: app port `appPort` -> `internalPort`, with a TCP service check. */
const service = (appPort: number, internalPort: number, extra: Record<string, unknown> = {}) => ({
  protocol: "tcp",
  internal_port: internalPort,
  ports: [{ port: appPort }],
  autostart: false,
  autostop: "off",
  checks: [{ type: "tcp", port: internalPort, interval: "5s", timeout: "2s" }],
  ...extra,
});

async function machine(services: unknown[], more: Record<string, unknown> = {}) {
  const m = await h.createMachine({ config: { image: IMAGE, services, ...more } });
  await h.waitFor(m.id, "started");
  return m;
}

async function route(ip: string, port: number, from?: string) {
  const q = new URLSearchParams({ ip, port: String(port), ...(from ? { from } : {}) });
  const res = await h.control("GET", `/_emulator/route?${q}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.targets as { app: string; machine_id: string; internal_port: number }[];
}

const flycast = async (app = APP, body: Record<string, unknown> = {}) => (await h.fly("POST", `/v1/apps/${app}/ip_assignments`, { body: { type: "private_v6", ...body } })).body.ip as string;

function dial(loopback: string, send?: string): Promise<string> {
  const [host, port] = loopback.split(":");
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), host!);
    let out = "";
    socket.on("connect", () => send && socket.write(send));
    socket.on("data", (d) => (out += d.toString()));
    socket.on("end", () => resolve(out));
    socket.on("error", reject);
  });
}

describe("Fly Proxy routing (GET /_emulator/route)", () => {
  it("routes by port only: each app port reaches exactly the machines whose services declare it, at their internal port", async () => {
    const ip = await flycast();
    const a = await machine([service(10001, 8080)]);
    const b = await machine([service(10001, 8080), service(10002, 5432)]);
    const c = await machine([service(10002, 5432)]);
    const client = await machine([]);
    expect(await route(ip, 10001, client.id)).toEqual([
      { app: APP, machine_id: a.id, internal_port: 8080 },
      { app: APP, machine_id: b.id, internal_port: 8080 },
    ]);
    expect((await route(ip, 10002, client.id)).map((t) => t.machine_id)).toEqual([b.id, c.id]);
    expect(await route(ip, 10003, client.id)).toEqual([]);
    // Every address of the app exposes every port (flycast docs): a second Flycast IP changes nothing.
    expect(await route(await flycast(), 10001, client.id)).toHaveLength(2);
  });

  it("stops routing to a machine whose service check fails, that is cordoned or not started", async () => {
    const ip = await flycast();
    const a = await machine([service(10001, 8080)]);
    const b = await machine([service(10001, 8080)]);
    const c = await machine([service(10001, 8080)]);
    expect((await h.control("PUT", `/_emulator/apps/${APP}/machines/${a.id}/checks`, { "servicecheck-00-tcp-8080": "critical" })).status).toBe(200);
    expect((await h.fly("POST", machinePath(b.id, "/cordon"))).status).toBe(200);
    expect((await route(ip, 10001)).map((t) => t.machine_id)).toEqual([c.id]);
    // Back to passing: routed again, within the same look-up.
    await h.control("PUT", `/_emulator/apps/${APP}/machines/${a.id}/checks`, { "servicecheck-00-tcp-8080": null });
    expect((await route(ip, 10001)).map((t) => t.machine_id)).toEqual([a.id, c.id]);
    // The checks a machine reports follow the same overrides.
    await h.control("PUT", `/_emulator/apps/${APP}/machines/${c.id}/checks`, { "*": "warning" });
    expect((await route(ip, 10001)).map((t) => t.machine_id)).toEqual([a.id]);
  });

  it("a stopped machine is a target only when nothing runs and its service may autostart", async () => {
    const ip = await flycast();
    const a = await machine([service(10001, 8080, { autostart: true, autostop: "stop" })]);
    const b = await machine([service(10001, 8080)]);
    for (const m of [a, b]) {
      await h.fly("POST", machinePath(m.id, "/stop"));
      await h.waitFor(m.id, "stopped");
    }
    expect(await route(ip, 10001)).toEqual([{ app: APP, machine_id: a.id, internal_port: 8080 }]);
  });

  it("delivers to a machine's 6PN address at any port, only while it runs and only within its org network", async () => {
    const a = await machine([]);
    expect(await route(a.private_ip, 6379)).toEqual([{ app: APP, machine_id: a.id, internal_port: 6379 }]);
    await h.fly("POST", "/v1/apps", { body: { name: "other-net", org_slug: ORG, network: "isolated" } });
    const isolated = (await h.fly("POST", "/v1/apps/other-net/machines", { body: { config: { image: IMAGE } } })).body;
    expect(await route(a.private_ip, 6379, isolated.id)).toEqual([]);
    await h.fly("POST", machinePath(a.id, "/stop"));
    await h.waitFor(a.id, "stopped");
    expect(await route(a.private_ip, 6379)).toEqual([]);
  });

  it("a Flycast address is reachable only from its network, which defaults to the org's, not the app's", async () => {
    await h.fly("POST", "/v1/apps", { body: { name: "svc-net", org_slug: ORG, network: "tenant-a" } });
    const onDefault = await flycast("svc-net");
    const onTenant = await flycast("svc-net", { network: "tenant-a" });
    const server = (await h.fly("POST", "/v1/apps/svc-net/machines", { body: { config: { image: IMAGE, services: [service(80, 8080)] } } })).body;
    const tenantClient = (await h.fly("POST", "/v1/apps/svc-net/machines", { body: { config: { image: IMAGE } } })).body;
    const defaultClient = await machine([]);
    await h.fly("GET", `/v1/apps/svc-net/machines/${server.id}/wait?state=started&timeout=10`);
    expect((await route(onDefault, 80, defaultClient.id)).map((t) => t.machine_id)).toEqual([server.id]);
    expect(await route(onDefault, 80, tenantClient.id)).toEqual([]);
    expect((await route(onTenant, 80, tenantClient.id)).map((t) => t.machine_id)).toEqual([server.id]);
    expect(await route(onTenant, 80, defaultClient.id)).toEqual([]);
  });

  it("public addresses reach the app's services from anywhere; unknown and released addresses reach nothing", async () => {
    const v6 = (await h.fly("POST", IPS, { body: { type: "v6" } })).body.ip;
    const a = await machine([service(443, 8443)]);
    expect(await route(v6, 443)).toEqual([{ app: APP, machine_id: a.id, internal_port: 8443 }]);
    expect(await route("fdaa:0:ffff::1", 443)).toEqual([]);
    await h.fly("DELETE", `${IPS}/${encodeURIComponent(v6)}`);
    expect(await route(v6, 443)).toEqual([]);
  });

  it("names what is wrong with a query", async () => {
    expect((await h.control("GET", "/_emulator/route?ip=nope&port=80")).body.error).toContain("invalid ip");
    expect((await h.control("GET", "/_emulator/route?ip=fdaa::1&port=0")).body.error).toContain("invalid port");
    expect((await h.control("GET", "/_emulator/route?ip=fdaa::1&port=80&from=0000000000000")).status).toBe(404);
    expect((await h.control("PUT", `/_emulator/apps/${APP}/machines/nope/checks`, {})).status).toBe(404);
  });
});

describe("machine dns config", () => {
  it("is stored and echoed as given; a nameserver that is not an IP is a 400 naming the field", async () => {
    const dns = { nameservers: ["fdaa:0:1::3"], searches: ["default.svc.cluster.local"], options: [{ name: "ndots", value: "5" }], dns_forward_rules: [{ basename: "internal", addr: "fdaa::3" }] };
    const m = await h.createMachine({ config: { image: IMAGE, dns } });
    expect(m.config.dns).toEqual(dns);
    const bad = await h.fly("POST", `/v1/apps/${APP}/machines`, { body: { config: { image: IMAGE, dns: { nameservers: ["coredns"] } } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe("invalid config.dns.nameservers[0]: expected an IP address");
  });
});

describe("loopback network (GET /_emulator/network)", () => {
  it("maps machines' declared ports and the app's addresses to loopback ports that move real bytes through Fly Proxy's routing", async () => {
    const ip = await flycast();
    const a = await machine([service(10001, 8080)]);
    const b = await machine([service(10001, 8080)]);
    const net = (await h.control("GET", "/_emulator/network")).body;
    expect(net.enabled).toBe(true);
    const machineEntry = net.addresses.find((e: any) => e.kind === "machine" && e.machine_id === a.id);
    expect(machineEntry).toMatchObject({ app: APP, ip: a.private_ip, port: 8080, loopback: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    expect(await dial(machineEntry.loopback)).toBe(`${a.id} 8080\n`);
    const proxy = net.addresses.find((e: any) => e.kind === "proxy" && e.ip === ip && e.port === 10001);
    // Round robin over both backends; an HTTP client gets an HTTP answer.
    const seen = new Set([await dial(proxy.loopback), await dial(proxy.loopback)]);
    expect(seen).toEqual(new Set([`${a.id} 8080\n`, `${b.id} 8080\n`]));
    expect(await dial(proxy.loopback, "GET / HTTP/1.1\r\nhost: x\r\n\r\n")).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n\w+ 8080\n$/);
  });

  it("starts a stopped autostart machine on the first connection, as Fly Proxy does", async () => {
    const ip = await flycast();
    const a = await machine([service(10001, 8080, { autostart: true, autostop: "stop" })]);
    await h.fly("POST", machinePath(a.id, "/stop"));
    await h.waitFor(a.id, "stopped");
    const proxy = (await h.control("GET", "/_emulator/network")).body.addresses.find((e: any) => e.ip === ip && e.port === 10001);
    expect(await dial(proxy.loopback)).toBe(`${a.id} 8080\n`);
    expect((await h.fly("GET", machinePath(a.id))).body.state).toBe("started");
  });
});
