import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createServer, isIP, type AddressInfo, type Server, type Socket } from "node:net";
import { answerQuery, type ResolveOptions } from "./answer";
import { lengthPrefix } from "./upstream";

export interface DnsServerOptions extends ResolveOptions {
  host: string;
  /** 0: any free port (the same one for UDP and TCP). */
  port: number;
}

export interface RunningDnsServer {
  host: string;
  port: number;
  close(): Promise<void>;
}

const TCP_IDLE_MS = 10_000;
const BIND_ATTEMPTS = 10;

/** The cluster DNS on `host`:`port`, UDP and TCP (RFC 7766 framing: a 2-byte length before each message). */
export async function startDnsServer(opts: DnsServerOptions): Promise<RunningDnsServer> {
  for (let attempt = 1; ; attempt++) {
    const udp = await bindUdp(opts);
    const port = (udp.address() as AddressInfo).port;
    try {
      const tcp = await listenTcp(opts, port);
      return {
        host: opts.host,
        port,
        close: async () => {
          await new Promise<void>((resolve) => udp.close(() => resolve()));
          await new Promise<void>((resolve) => {
            tcp.server.close(() => resolve());
            for (const s of tcp.sockets) s.destroy();
          });
        },
      };
    } catch (err) {
      udp.close();
      // With port 0, UDP's free port may be taken for TCP: try another.
      if (opts.port !== 0 || attempt >= BIND_ATTEMPTS) throw err;
    }
  }
}

function bindUdp(opts: DnsServerOptions): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIP(opts.host) === 6 ? "udp6" : "udp4");
    socket.once("error", reject);
    socket.on("message", (msg, peer) => {
      void answerQuery(msg, false, opts).then((res) => {
        if (res) socket.send(res, peer.port, peer.address);
      });
    });
    socket.bind(opts.port, opts.host, () => {
      socket.off("error", reject);
      socket.on("error", (err) => console.error("cluster dns: udp", err.message));
      resolve(socket);
    });
  });
}

function listenTcp(opts: DnsServerOptions, port: number): Promise<{ server: Server; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    let buf = Buffer.alloc(0);
    socket.on("data", (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        void answerQuery(msg, true, opts).then((res) => {
          if (res && !socket.destroyed) socket.write(Buffer.concat([lengthPrefix(res.length), res]));
        });
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, opts.host, () => {
      server.off("error", reject);
      resolve({ server, sockets });
    });
  });
}
