// @ts-check
/**
 * machinelet's Service forwarder: the process of a Service app's machine. For each Service port it
 * listens on that port and relays every TCP connection, bytes unchanged in both directions
 * (half-closes included), to the cluster app's Flycast address at the Service port's app port,
 * where Fly Proxy picks a Ready pod. Plain JavaScript on Node's standard library, so it runs as
 * shipped: on Fly from the official `node` image (the worker writes this file through `files`),
 * in staging and tests as a child process.
 *
 * Environment: FORWARD="<listen port>=<host>:<port>[,...]" (IPv6 hosts in brackets; listen port 0:
 * any free port, as staging runs it); LISTEN_HOST (default "::", which also accepts IPv4: Fly Proxy
 * connects over IPv4). Once listening it logs one JSON line naming the ports it bound.
 */
import { connect, createServer } from "node:net";

/** @param {string} spec @returns {{ listen: number, host: string, port: number }[]} */
export function parseForward(spec) {
  return spec
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const m = /^(\d+)=(?:\[([^\]]+)\]|([^:\[\]]+)):(\d+)$/.exec(entry);
      const listen = Number(m?.[1]);
      const port = Number(m?.[4]);
      if (!m || !(listen >= 0 && listen <= 65535) || !(port >= 1 && port <= 65535)) {
        throw new Error(`FORWARD entry ${JSON.stringify(entry)}: expected <listen port>=<host>:<port>, IPv6 hosts in brackets`);
      }
      return { listen, host: /** @type {string} */ (m[2] ?? m[3]), port };
    });
}

/** @param {{ listen: number, host: string, port: number }} route @param {string} listenHost */
function serve(route, listenHost) {
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = connect({ host: route.host, port: route.port, allowHalfOpen: true });
    const fail = (/** @type {Error} */ err) => {
      console.log(JSON.stringify({ msg: "forward failed", listen: route.listen, target: `${route.host}:${route.port}`, error: err.message }));
      client.destroy();
      upstream.destroy();
    };
    upstream.on("error", fail);
    client.on("error", () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return new Promise((/** @type {(s: import("node:net").Server) => void} */ resolve, reject) => {
    server.once("error", reject);
    server.listen(route.listen, listenHost, () => resolve(server));
  });
}

/** @param {{ listen: number, host: string, port: number }[]} routes @param {string} listenHost */
export async function startForwarder(routes, listenHost) {
  const servers = await Promise.all(routes.map((r) => serve(r, listenHost)));
  const bound = servers.map((s) => /** @type {import("node:net").AddressInfo} */ (s.address()).port);
  return { bound, close: () => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const routes = parseForward(process.env.FORWARD ?? "");
    if (routes.length === 0) throw new Error("FORWARD names no port");
    const { bound } = await startForwarder(routes, process.env.LISTEN_HOST || "::");
    console.log(JSON.stringify({ msg: "forwarding", routes: routes.map((r, i) => ({ listen: bound[i], target: `${r.host}:${r.port}` })) }));
  } catch (e) {
    console.log(JSON.stringify({ msg: "forwarder failed to start", error: e instanceof Error ? e.message : String(e) }));
    process.exit(1);
  }
}
