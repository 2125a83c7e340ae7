/**
 * Staging's stand-in for Fly running Service forwarder machines: for every started machine that
 * carries `machinelet_service_uid` metadata, the real forwarder program (src/forwarder/forwarder.mjs)
 * as a child process, its Fly addresses translated through the emulator's loopback mapping
 * (`GET /_emulator/network`): it listens on free loopback ports, which are claimed as the
 * machine's Service ports (`PUT /_emulator/apps/{app}/machines/{id}/ports/{port}`), and dials the
 * loopback port standing for `[cluster Flycast]:<app port>`.
 *
 * Level-based, one pass every `intervalMs`:
 * - the apps are the ones the mapping names (every app with a started machine or a routed
 *   address), so Service apps made while it runs are found without being told;
 * - a process is (re)launched when its machine starts, its FORWARD changes, a route's mapping
 *   appears or moves (a route dialled before any pod backed it pointed at a closed port), or it died;
 * - a process is stopped when its machine stops or goes; a listing that fails stops nothing (its
 *   processes keep running until a listing says otherwise).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseForward } from "../forwarder/forwarder.mjs";

const PROGRAM = fileURLToPath(new URL("../forwarder/forwarder.mjs", import.meta.url));
const SERVICE_UID = "machinelet_service_uid";
/** Where a route goes while its address has no listener: a closed port, as a dial to an unserved Fly address fails. */
const UNMAPPED = "127.0.0.1:9";

interface RawMachine {
  id: string;
  state: string;
  config: { env?: Record<string, string>; metadata?: Record<string, string> };
}
interface Entry {
  kind: string;
  app: string;
  ip: string;
  port: number;
  loopback: string;
}
interface Running {
  app: string;
  forward: string;
  /** FORWARD as the process got it (loopback targets). */
  routes: string;
  child: ChildProcess;
}

export interface ForwarderRunner {
  /** One pass now (the runner also passes every `intervalMs`). */
  sync(): Promise<void>;
  stop(): Promise<void>;
}

export function startForwarderRunner(opts: { emulatorUrl: string; intervalMs?: number }): ForwarderRunner {
  const running = new Map<string, Running>();
  let passing: Promise<void> = Promise.resolve();
  let stopped = false;
  const control = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${opts.emulatorUrl}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };

  const routesOf = (forward: string, addresses: Entry[]) =>
    parseForward(forward)
      .map((r) => `0=${addresses.find((e) => e.kind === "proxy" && e.ip === r.host && e.port === r.port)?.loopback ?? UNMAPPED}`)
      .join(",");

  function halt(id: string): void {
    running.get(id)?.child.kill();
    running.delete(id);
  }

  async function launch(app: string, m: RawMachine, forward: string, routes: string): Promise<void> {
    const child = spawn(process.execPath, [PROGRAM], { env: { ...process.env, FORWARD: routes, LISTEN_HOST: "127.0.0.1" }, stdio: ["ignore", "pipe", "inherit"] });
    running.set(m.id, { app, forward, routes, child });
    const line = await new Promise<string | undefined>((resolve) => {
      const lines = createInterface({ input: child.stdout! });
      lines.once("line", resolve);
      child.once("exit", () => resolve(undefined));
    });
    const bound = line ? (JSON.parse(line) as { routes?: { listen: number }[] }).routes : undefined;
    if (!bound) return;
    const servicePorts = parseForward(forward).map((r) => r.listen);
    try {
      for (const [i, r] of bound.entries()) await control("PUT", `/_emulator/apps/${app}/machines/${m.id}/ports/${servicePorts[i]}`, { loopback: `127.0.0.1:${r.listen}` });
    } catch (e) {
      halt(m.id); // unclaimed, it serves nothing: the next pass launches it again
      throw e;
    }
  }

  async function pass(): Promise<void> {
    // No mapping, no pass: nothing is stopped on a failed listing.
    const { addresses } = await control<{ addresses: Entry[] }>("GET", "/_emulator/network");
    const apps = new Set(addresses.map((e) => e.app));
    const live = new Set<string>();
    for (const app of apps) {
      let machines: RawMachine[];
      try {
        machines = await control<RawMachine[]>("GET", `/_emulator/apps/${app}/machines`);
      } catch {
        for (const [id, r] of running) if (r.app === app) live.add(id);
        continue;
      }
      for (const m of machines) {
        const forward = m.config.env?.FORWARD;
        if (stopped || m.state !== "started" || !m.config.metadata?.[SERVICE_UID] || !forward) continue;
        live.add(m.id);
        const routes = routesOf(forward, addresses);
        const current = running.get(m.id);
        if (current && current.forward === forward && current.routes === routes && current.child.exitCode === null && current.child.signalCode === null) continue;
        halt(m.id);
        await launch(app, m, forward, routes);
      }
    }
    // Apps the mapping no longer names are gone with their machines.
    for (const id of [...running.keys()]) if (!live.has(id)) halt(id);
  }

  const sync = () => (passing = passing.then(pass).catch((e: unknown) => console.error("forwarder runner:", e instanceof Error ? e.message : e)));
  const timer = setInterval(() => void sync(), opts.intervalMs ?? 500);
  timer.unref();
  return {
    sync,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await passing;
      for (const id of [...running.keys()]) halt(id);
    },
  };
}
