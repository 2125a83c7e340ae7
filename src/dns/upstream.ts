import { createSocket } from "node:dgram";
import { readFileSync } from "node:fs";
import { connect, isIP } from "node:net";

export interface Upstream {
  host: string;
  port: number;
}

const TIMEOUT_MS = 2000;

/** `host:port`, `[v6]:port` or a bare address (port 53). */
export function parseUpstream(spec: string): Upstream {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(spec);
  const [host, port] = bracketed ? [bracketed[1]!, bracketed[2]] : isIP(spec) === 6 ? [spec, undefined] : (spec.split(":") as [string, string | undefined]);
  const n = port === undefined ? 53 : Number(port);
  if (isIP(host) === 0 || !Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`upstream DNS ${JSON.stringify(spec)}: expected an IP address with an optional port`);
  return { host, port: n };
}

/** The first nameserver of /etc/resolv.conf, as CoreDNS's `forward . /etc/resolv.conf` would use. */
export function systemUpstream(path = "/etc/resolv.conf"): Upstream {
  const line = readFileSync(path, "utf8").split("\n").find((l) => /^\s*nameserver\s+\S+/.test(l));
  const host = line?.trim().split(/\s+/)[1];
  if (!host || isIP(host) === 0) throw new Error(`${path} names no nameserver`);
  return { host, port: 53 };
}

/** Sends a raw query upstream and returns the raw response with the same id, or undefined (timeout, error). */
export function forwardQuery(upstream: Upstream, query: Buffer, overTcp: boolean): Promise<Buffer | undefined> {
  return overTcp ? forwardTcp(upstream, query) : forwardUdp(upstream, query);
}

function forwardUdp(upstream: Upstream, query: Buffer): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket(isIP(upstream.host) === 6 ? "udp6" : "udp4");
    const done = (value: Buffer | undefined) => {
      clearTimeout(timer);
      socket.close();
      resolve(value);
    };
    const timer = setTimeout(() => done(undefined), TIMEOUT_MS);
    socket.on("error", () => done(undefined));
    socket.on("message", (msg) => {
      if (msg.length >= 2 && msg.readUInt16BE(0) === query.readUInt16BE(0)) done(msg);
    });
    socket.send(query, upstream.port, upstream.host, (err) => err && done(undefined));
  });
}

function forwardTcp(upstream: Upstream, query: Buffer): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = connect(upstream.port, upstream.host);
    let buf = Buffer.alloc(0);
    const done = (value: Buffer | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => done(undefined), TIMEOUT_MS);
    socket.on("error", () => done(undefined));
    socket.on("connect", () => socket.write(Buffer.concat([lengthPrefix(query.length), query])));
    socket.on("data", (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) done(buf.subarray(2, 2 + buf.readUInt16BE(0)));
    });
    socket.on("end", () => done(undefined));
  });
}

export function lengthPrefix(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}
