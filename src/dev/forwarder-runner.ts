/**
 * Staging's stand-in for Fly running Service forwarder machines: for every started machine that
 * carries `machinelet_service_uid` metadata, the real forwarder program (src/forwarder/forwarder.mjs)
 * as a child process, its Fly addresses translated through the emulator's loopback mapping
 * (`GET /_emulator/network`): it listens on free loopback ports, which are claimed as the
 * machine's Service ports (`PUT /_emulator/apps/{app}/machines/{id}/ports/{port}`), and dials the
 * loopback port standing for `[cluster Flycast]:<app port>`. A machine that stops or changes its
 * FORWARD gets its process stopped (and restarted with the new routes).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseForward } from "../forwarder/forwarder.mjs";

const PROGRAM = fileURLToPath(new URL("../forwarder/forwarder.mjs", import.meta.url));
const SERVICE_UID = "machinelet_service_uid";

interface RawMachine {
  id: string;
  state: string;
  config: { env?: Record<string, string>; metadata?: Record<string, string> };
}
interface Entry {
  kind: string;
  ip: string;
  port: number;
  loopback: string;
}
interface Running {
  forward: string;
  child: ChildProcess;
}

export interface ForwarderRunner {
  /** One pass now (the runner also passes every `intervalMs`). */
  sync(): Promise<void>;
  stop(): Promise<void>;
}

export function startForwarderRunner(opts: { emulatorUrl: string; apps: () => Promise<string[]>; intervalMs?: number }): ForwarderRunner {
  const running = new Map<string, Running>();
  let passing: Promise<void> = Promise.resolve();
  const control = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${opts.emulatorUrl}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };

  async function launch(app: string, m: RawMachine, forward: string): Promise<void> {
    const { addresses } = await control<{ addresses: Entry[] }>("GET", "/_emulator/network");
    const routes = parseForward(forward).map((r) => {
      const entry = addresses.find((e) => e.kind === "proxy" && e.ip === r.host && e.port === r.port);
      // Not mapped (yet): dial a closed port, as a dial to an unserved Fly address would fail.
      return `0=${entry?.loopback ?? "127.0.0.1:9"}`;
    });
    const child = spawn(process.execPath, [PROGRAM], { env: { ...process.env, FORWARD: routes.join(","), LISTEN_HOST: "127.0.0.1" }, stdio: ["ignore", "pipe", "inherit"] });
    running.set(m.id, { forward, child });
    const line = await new Promise<string | undefined>((resolve) => {
      const lines = createInterface({ input: child.stdout! });
      lines.once("line", resolve);
      child.once("exit", () => resolve(undefined));
    });
    const bound = line ? (JSON.parse(line) as { routes?: { listen: number }[] }).routes : undefined;
    if (!bound) return;
    const servicePorts = parseForward(forward).map((r) => r.listen);
    for (const [i, r] of bound.entries()) await control("PUT", `/_emulator/apps/${app}/machines/${m.id}/ports/${servicePorts[i]}`, { loopback: `127.0.0.1:${r.listen}` });
  }

  async function pass(): Promise<void> {
    const live = new Set<string>();
    for (const app of await opts.apps()) {
      const machines = await control<RawMachine[]>("GET", `/_emulator/apps/${app}/machines`).catch(() => [] as RawMachine[]);
      for (const m of machines) {
        const forward = m.config.env?.FORWARD;
        if (m.state !== "started" || !m.config.metadata?.[SERVICE_UID] || !forward) continue;
        live.add(m.id);
        const current = running.get(m.id);
        if (current?.forward === forward) continue;
        current?.child.kill();
        await launch(app, m, forward);
      }
    }
    for (const [id, r] of running) {
      if (live.has(id)) continue;
      r.child.kill();
      running.delete(id);
    }
  }

  const sync = () => (passing = passing.then(pass).catch((e: unknown) => console.error("forwarder runner:", e instanceof Error ? e.message : e)));
  const timer = setInterval(() => void sync(), opts.intervalMs ?? 500);
  timer.unref();
  return {
    sync,
    stop: async () => {
      clearInterval(timer);
      await passing;
      for (const r of running.values()) r.child.kill();
      running.clear();
    },
  };
}
