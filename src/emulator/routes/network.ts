import { z } from "zod";
import { parseOr400, readJsonBody } from "../body";
import { badRequest, notFound } from "../errors";
import type { FlyApp } from "../hono-env";
import { wakeWaiters } from "../machine-events";
import { loopbackOf } from "../network/loopback";
import { canonicalIp, route } from "../network/routing";
import type { EmulatorState } from "../state";

const status = z.enum(["passing", "warning", "critical"]);
const checksSchema = z.record(z.string().min(1), status.nullable());
const claimSchema = z.strictObject({ loopback: z.string().nullable() });

/**
 * Control routes for Fly's networking: where a connection goes (`route`), the loopback mapping
 * that moves real bytes (`network`), and per-machine check results (a readiness probe failing).
 */
export function networkRoutes(app: FlyApp, st: EmulatorState): void {
  app.get("/_emulator/route", (c) => {
    const ip = c.req.query("ip") ?? "";
    const port = Number(c.req.query("port"));
    if (!canonicalIp(ip)) throw badRequest(`invalid ip: ${JSON.stringify(ip)} is not an IP address`);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw badRequest("invalid port: must be an integer between 1 and 65535");
    const fromId = c.req.query("from");
    const fromApp = fromId === undefined ? undefined : [...st.apps.values()].find((a) => a.machines.has(fromId) && a.machines.get(fromId)?.state !== "destroyed");
    if (fromId !== undefined && !fromApp) throw notFound("machine");
    return c.json({ targets: route(st, { fromApp, ip, port }) });
  });

  app.get("/_emulator/network", async (c) => {
    const network = loopbackOf(st);
    return c.json({ enabled: network !== undefined, addresses: network ? await network.entries() : [] });
  });

  /** `{"loopback": "127.0.0.1:<port>"}` (null releases): a real process serves this machine port (loopback network only). */
  app.put("/_emulator/apps/:app/machines/:id/ports/:port", async (c) => {
    const m = st.liveMachine(st.app(c.req.param("app")).name, c.req.param("id"));
    const port = Number(c.req.param("port"));
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw badRequest("invalid port: must be an integer between 1 and 65535");
    const network = loopbackOf(st);
    if (!network) throw badRequest("the loopback network is off (startEmulator({ loopback: true }))");
    const body = parseOr400(claimSchema, (await readJsonBody(c)) ?? {});
    const target = body.loopback === null ? undefined : /^(127\.\d+\.\d+\.\d+):(\d+)$/.exec(body.loopback);
    if (body.loopback !== null && !target) throw badRequest("invalid loopback: expected 127.x.y.z:<port>");
    network.claim(m.id, port, target ? { host: target[1]!, port: Number(target[2]) } : undefined);
    await network.sync();
    return c.json({ machine_id: m.id, port, loopback: body.loopback });
  });

  /** `{"<check name>" | "*": "passing"|"warning"|"critical"|null}`: what the machine's checks report while it runs (null clears). */
  app.put("/_emulator/apps/:app/machines/:id/checks", async (c) => {
    const m = st.liveMachine(st.app(c.req.param("app")).name, c.req.param("id"));
    const body = parseOr400(checksSchema, (await readJsonBody(c)) ?? {});
    const next = { ...m.checkOverrides };
    for (const [name, value] of Object.entries(body)) {
      if (value === null) delete next[name];
      else next[name] = value;
    }
    m.checkOverrides = next;
    m.updatedAt = st.now();
    wakeWaiters(m);
    return c.json({ checks: next });
  });
}
