import { createServer, connect, type AddressInfo, type Server, type Socket } from "node:net";
import { start } from "../lifecycle";
import type { MachineRecord } from "../model";
import type { EmulatorState } from "../state";
import { declaredPorts, servicePorts } from "./declared-ports";
import { canonicalIp, route } from "./routing";

/** One emulated address:port and the loopback port that stands for it. */
export interface LoopbackEntry {
  kind: "machine" | "proxy";
  app: string;
  /** The Fly address (a machine's 6PN address, or one of the app's IP assignments). */
  ip: string;
  port: number;
  /** Only for `machine` entries. */
  machine_id?: string;
  /** `127.0.0.1:<port>`: connect here to reach `ip`:`port`. */
  loopback: string;
}

interface Listener {
  entry: LoopbackEntry;
  server: Server;
  sockets: Set<Socket>;
}

const SYNC_INTERVAL_MS = 100;
const AUTOSTART_WAIT_MS = 10_000;
const HTTP_REQUEST = /^(GET|HEAD|POST|PUT|DELETE|OPTIONS|PATCH) /;

/**
 * Stands in for the network Fly gives machines, on 127.0.0.1: for every started machine, one
 * listener per declared port (see declaredPorts) that answers `<machine id> <port>\n` (or an HTTP
 * 200 with that body when the client speaks HTTP); for every IP assignment of an app, one listener
 * per service port that routes each connection as Fly Proxy would (`route`), starting a stopped
 * machine when that is the only target, and pipes bytes to the chosen machine's listener.
 * `entries()` is the mapping from Fly addresses to loopback ports (`GET /_emulator/network`).
 */
export class LoopbackNetwork {
  private readonly listeners = new Map<string, Listener>();
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly roundRobin = new Map<string, number>();
  /** Machine ports served by a real process: `<machine id>:<port>` -> where it listens on loopback. */
  private readonly claims = new Map<string, { host: string; port: number }>();
  private syncing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly st: EmulatorState) {
    this.timer = setInterval(() => void this.sync(), SYNC_INTERVAL_MS);
    this.timer.unref();
  }

  /** Opens and closes listeners to match the machines and addresses that exist now. */
  sync(): Promise<void> {
    this.syncing = this.syncing.then(() => this.syncOnce()).catch((err: unknown) => console.error("machines emulator: loopback sync failed", err));
    return this.syncing;
  }

  async entries(): Promise<LoopbackEntry[]> {
    await this.sync();
    return [...this.listeners.values()].map((l) => l.entry).sort((a, b) => a.ip.localeCompare(b.ip) || a.port - b.port);
  }

  /** The loopback port standing for `ip`:`port`, if something listens there. */
  loopbackPort(ip: string, port: number): number | undefined {
    const entry = this.listeners.get(key(canonicalIp(ip) ?? ip, port))?.entry;
    return entry ? Number(entry.loopback.split(":")[1]) : undefined;
  }

  /**
   * A real process serves `port` of machine `machineId` (staging runs the machine's program):
   * connections to that machine port are piped to `target` instead of the stand-in answer.
   * Undefined releases the claim.
   */
  claim(machineId: string, port: number, target: { host: string; port: number } | undefined): void {
    if (target) this.claims.set(`${machineId}:${port}`, target);
    else this.claims.delete(`${machineId}:${port}`);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.syncing;
    await Promise.all([...this.listeners.keys()].map((k) => this.closeListener(k)));
  }

  private wanted(): Map<string, Omit<LoopbackEntry, "loopback">> {
    const wanted = new Map<string, Omit<LoopbackEntry, "loopback">>();
    for (const app of this.st.apps.values()) {
      for (const m of app.machines.values()) {
        if (m.state !== "started") continue;
        const ip = canonicalIp(m.privateIp) ?? m.privateIp;
        const claimed = [...this.claims.keys()].filter((k) => k.startsWith(`${m.id}:`)).map((k) => Number(k.slice(m.id.length + 1)));
        for (const port of new Set([...declaredPorts(this.st, m), ...claimed])) wanted.set(key(ip, port), { kind: "machine", app: app.name, ip, port, machine_id: m.id });
      }
      const ports = servicePorts(app.machines.values());
      for (const assigned of app.ips) {
        const ip = canonicalIp(assigned.ip) ?? assigned.ip;
        for (const port of ports) wanted.set(key(ip, port), { kind: "proxy", app: app.name, ip, port });
      }
    }
    return wanted;
  }

  private async syncOnce(): Promise<void> {
    if (this.closed) return;
    const wanted = this.wanted();
    for (const [k, l] of this.listeners) {
      const w = wanted.get(k);
      if (!w || w.kind !== l.entry.kind || w.machine_id !== l.entry.machine_id) await this.closeListener(k);
    }
    for (const [k, w] of wanted) if (!this.listeners.has(k)) await this.open(k, w);
  }

  private async open(k: string, entry: Omit<LoopbackEntry, "loopback">): Promise<void> {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
      socket.on("error", () => socket.destroy());
      const claim = entry.kind === "machine" ? this.claims.get(`${entry.machine_id}:${entry.port}`) : undefined;
      if (claim) pipe(socket, connect(claim.port, claim.host));
      else if (entry.kind === "machine") answer(socket, entry.machine_id!, entry.port);
      else void this.proxy(socket, entry.ip, entry.port);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    this.listeners.set(k, { entry: { ...entry, loopback: `127.0.0.1:${port}` }, server, sockets });
  }

  private async closeListener(k: string): Promise<void> {
    const l = this.listeners.get(k);
    if (!l) return;
    this.listeners.delete(k);
    for (const s of l.sockets) s.destroy();
    await new Promise<void>((resolve) => l.server.close(() => resolve()));
  }

  /** Fly Proxy: pick a target in turn, start it if it is stopped, then pipe to its listener. */
  private async proxy(client: Socket, ip: string, port: number): Promise<void> {
    const targets = route(this.st, { ip, port });
    if (targets.length === 0) return void client.destroy();
    const turn = this.roundRobin.get(key(ip, port)) ?? 0;
    this.roundRobin.set(key(ip, port), turn + 1);
    const target = targets[turn % targets.length]!;
    const m = this.st.apps.get(target.app)?.machines.get(target.machine_id);
    if (!m || !(await this.started(m))) return void client.destroy();
    await this.sync();
    const upstreamPort = this.loopbackPort(m.privateIp, target.internal_port);
    if (upstreamPort === undefined) return void client.destroy();
    pipe(client, connect(upstreamPort, "127.0.0.1"));
  }

  /** Started, or started by the proxy (autostart) within a bounded wait. */
  private async started(m: MachineRecord): Promise<boolean> {
    if (m.state === "stopped" || m.state === "suspended") start(this.st, m);
    const deadline = Date.now() + AUTOSTART_WAIT_MS;
    while (m.state !== "started") {
      const left = deadline - Date.now();
      if (m.state !== "starting" || left <= 0 || this.closed) return false;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timeout);
          m.listeners.delete(wake);
          resolve();
        };
        const timeout = setTimeout(wake, left);
        m.listeners.add(wake);
      });
    }
    return true;
  }
}

const key = (ip: string, port: number) => `[${ip}]:${port}`;

function pipe(a: Socket, b: Socket): void {
  b.on("error", () => a.destroy());
  a.on("error", () => b.destroy());
  a.pipe(b);
  b.pipe(a);
}

/** The stand-in for the machine's process: who it is and which port was dialled. */
function answer(socket: Socket, machineId: string, port: number): void {
  const line = `${machineId} ${port}\n`;
  let done = false;
  const reply = (http: boolean) => {
    if (done) return;
    done = true;
    clearTimeout(silent);
    socket.end(http ? `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${line.length}\r\nconnection: close\r\n\r\n${line}` : line);
  };
  // A client that speaks first gets its answer in its protocol; a silent one gets the line.
  const silent = setTimeout(() => reply(false), 200);
  socket.once("data", (chunk) => reply(HTTP_REQUEST.test(chunk.toString("latin1"))));
  socket.once("close", () => clearTimeout(silent));
}

const attached = new WeakMap<EmulatorState, LoopbackNetwork>();

/** Gives the emulator its loopback network (staging; tests that move bytes). */
export function attachLoopback(st: EmulatorState): LoopbackNetwork {
  const network = new LoopbackNetwork(st);
  attached.set(st, network);
  return network;
}

export const loopbackOf = (st: EmulatorState): LoopbackNetwork | undefined => attached.get(st);
