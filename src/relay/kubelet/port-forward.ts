/**
 * `port-forward` as a kubelet serves it (pkg/kubelet/cri/streaming/portforward/httpstream.go):
 * after an upgrade to SPDY/3.1 with protocol `portforward.k8s.io`, the client opens streams in
 * pairs, `streamtype` `error` and `data`, each with the `port` and a `requestid` that pairs them.
 * For each pair the relay dials the pod's IP and port (pod-dialer.ts) and copies bytes both ways;
 * a failed dial is written on the error stream as the kubelet words it. kube-apiserver 1.31+
 * reaches here with SPDY also when kubectl tunnels it through a WebSocket (it unwraps the tunnel).
 */
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { connection, type SpdyStream } from "../../k8s/spdy/spdy-transport-compat";
import { errorMessage, type Logger } from "../log";
import type { PodDialer } from "./pod-dialer";
import { KubeletError } from "./status";

export const PORT_FORWARD_PROTOCOL = "portforward.k8s.io";
/** The kubelet's streamCreationTimeout: a pair must be complete within it. */
const PAIR_WAIT_MS = 30_000;

export interface ForwardTarget {
  namespace: string;
  name: string;
  uid: string;
  ip: string;
}

export function checkPortForwardProtocol(req: IncomingMessage): void {
  const offered = (req.headersDistinct["x-stream-protocol-version"] ?? []).flatMap((v) => v.split(",").map((s) => s.trim()));
  if (!offered.includes(PORT_FORWARD_PROTOCOL)) {
    throw new KubeletError(403, `machinelet: port-forward speaks ${PORT_FORWARD_PROTOCOL} over SPDY/3.1 (offered: ${offered.join(", ") || "none"})`);
  }
}

interface Pair {
  error?: SpdyStream;
  data?: SpdyStream;
  timer: NodeJS.Timeout;
}

/** Completes the upgrade and serves stream pairs until the client closes the connection. */
export function acceptPortForward(socket: Duplex, head: Buffer, target: ForwardTarget, dialer: PodDialer, log: Logger, track: (work: Promise<void>) => void): void {
  socket.write(["HTTP/1.1 101 Switching Protocols", "Connection: Upgrade", "Upgrade: SPDY/3.1", `X-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}`, "", ""].join("\r\n"));
  if (head.length > 0) socket.unshift(head);
  const conn = connection.create(socket, { protocol: "spdy", isServer: true });
  conn.start(3.1);
  const pairs = new Map<string, Pair>();
  const upstreams = new Set<Socket>();
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    for (const p of pairs.values()) clearTimeout(p.timer);
    for (const u of upstreams) u.destroy();
    conn.end();
    socket.destroy();
  };
  conn.on("error", close);
  socket.on("close", close);
  track(new Promise<void>((resolve) => socket.once("close", () => resolve())));

  conn.on("stream", (stream) => {
    const type = stream.headers.streamtype ?? "";
    const requestId = stream.headers.requestid ?? "";
    stream.on("error", () => undefined);
    if ((type !== "error" && type !== "data") || !requestId) {
      stream.respond(400, {});
      stream.end();
      return;
    }
    stream.respond(200, {});
    const pair = pairs.get(requestId) ?? { timer: setTimeout(() => expire(requestId), PAIR_WAIT_MS) };
    pairs.set(requestId, pair);
    if (pair[type]) {
      log.warn("port-forward: a stream of this type and request was already received", { requestId, type });
      stream.end();
      return;
    }
    pair[type] = stream;
    if (pair.error && pair.data) {
      clearTimeout(pair.timer);
      pairs.delete(requestId);
      void forward(pair.error, pair.data, stream.headers.port ?? "");
    }
  });

  function expire(requestId: string): void {
    const pair = pairs.get(requestId);
    pairs.delete(requestId);
    pair?.error?.end(`timed out waiting for the data stream of request ${requestId}`);
    pair?.data?.end();
  }

  async function forward(error: SpdyStream, data: SpdyStream, rawPort: string): Promise<void> {
    let finished = false;
    /** Ends the pair's error stream once: empty when the forward ended cleanly, else the kubelet's message. */
    const finish = (why?: string) => {
      if (finished) return;
      finished = true;
      error.end(why === undefined ? undefined : Buffer.from(`error forwarding port ${rawPort} to pod ${target.namespace}/${target.name}, uid ${target.uid}: ${why}`));
      if (why !== undefined) data.end();
    };
    const port = /^\d+$/.test(rawPort) ? Number(rawPort) : 0;
    if (port < 1 || port > 65535) return finish(`invalid port: ${JSON.stringify(rawPort)}`);
    let upstream: Socket;
    try {
      upstream = await dialer(target.ip, port);
    } catch (e) {
      return finish(errorMessage(e));
    }
    if (closed) return void upstream.destroy();
    upstreams.add(upstream);
    log.debug("port-forward: connected", { namespace: target.namespace, pod: target.name, port });
    // Each side's end half-closes the other, as the CRI's forwarder copies them.
    data.pipe(upstream);
    upstream.pipe(data);
    upstream.on("error", (e) => finish(errorMessage(e)));
    upstream.on("close", () => {
      upstreams.delete(upstream);
      finish();
    });
  }
}
