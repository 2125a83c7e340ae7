/**
 * How the relay reaches a pod's port for `port-forward`: a TCP connection to the machine's 6PN
 * address (the pod IP) and the port, which works where the relay is on the cluster's Fly private
 * network (on a Fly Machine of the organization, or joined with `fly wireguard`). In staging the
 * emulator's loopback network stands in for 6PN: the pod IP and port are looked up in its
 * mapping (`GET /_emulator/network`, src/emulator/README.md) and the loopback address dialled.
 */
import { connect, type Socket } from "node:net";

export type PortForwardMode = { kind: "off" } | { kind: "6pn" } | { kind: "emulator"; url: string };

/** Opens a TCP connection to `ip`:`port` on the pods' network; rejects as a refused or unreachable dial would. */
export type PodDialer = (ip: string, port: number) => Promise<Socket>;

/** `off`, `6pn` or `emulator:<url>` (staging), as the relay's --port-forward option spells it. */
export function parsePortForwardMode(raw: string): PortForwardMode {
  if (raw === "off" || raw === "6pn") return { kind: raw };
  const url = /^emulator:(https?:\/\/.+)$/.exec(raw)?.[1];
  if (url) return { kind: "emulator", url: url.replace(/\/+$/, "") };
  throw new Error(`expected off, 6pn or emulator:<url>, got ${JSON.stringify(raw)}`);
}

const DIAL_TIMEOUT_MS = 10_000;

function dial(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: DIAL_TIMEOUT_MS });
    socket.once("connect", () => {
      socket.setTimeout(0);
      resolve(socket);
    });
    socket.once("timeout", () => socket.destroy(new Error(`dial tcp [${host}]:${port}: i/o timeout`)));
    socket.once("error", reject);
  });
}

export function podDialer(mode: PortForwardMode): PodDialer | undefined {
  if (mode.kind === "off") return undefined;
  if (mode.kind === "6pn") return (ip, port) => dial(ip, port);
  return async (ip, port) => {
    const res = await fetch(`${mode.url}/_emulator/network`);
    if (!res.ok) throw new Error(`the emulator's network mapping answered ${res.status}`);
    const { addresses } = (await res.json()) as { addresses: Array<{ kind: string; ip: string; port: number; loopback: string }> };
    const entry = addresses.find((a) => a.kind === "machine" && a.ip === ip && a.port === port);
    // Nothing listens there: refused, as a dial of an unserved port on 6PN is.
    if (!entry) throw new Error(`dial tcp [${ip}]:${port}: connect: connection refused`);
    const [host, p] = entry.loopback.split(":");
    return dial(host!, Number(p));
  };
}
