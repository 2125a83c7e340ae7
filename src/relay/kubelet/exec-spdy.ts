/**
 * SPDY/3.1 remote command, as kube-apiserver 1.30+ speaks it towards kubelets (it translates a
 * kubectl WebSocket v5 session into SPDY, TranslateStreamCloseWebsocketRequests): after the HTTP
 * upgrade the client opens one SPDY stream per channel, each with a `streamtype` header (error,
 * stdin, stdout, stderr); the kubelet replies to each, and writes the v4 Status on `error`.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { connection, type SpdyStream } from "../../k8s/spdy/spdy-transport-compat";
import type { ExecOptions, ExecStreams } from "./exec-session";
import { StdinBuffer } from "./exec-session";
import { KubeletError } from "./status";

export const SPDY_PROTOCOL = "v4.channel.k8s.io";
/** The kubelet's streamCreationTimeout. */
const STREAM_WAIT_MS = 30_000;

/** Whether the request asks for SPDY/3.1, and if so that it offers the protocol the relay speaks. */
export function isSpdyUpgrade(req: IncomingMessage): boolean {
  return /^spdy\/3\.1$/i.test(req.headers.upgrade ?? "");
}

export function checkSpdyProtocol(req: IncomingMessage): void {
  const raw = req.headersDistinct["x-stream-protocol-version"] ?? [];
  const offered = raw.flatMap((v) => v.split(",").map((s) => s.trim()));
  if (!offered.includes(SPDY_PROTOCOL)) {
    throw new KubeletError(403, `machinelet: the kubelet API speaks ${SPDY_PROTOCOL} over SPDY/3.1 (offered: ${offered.join(", ") || "none"})`);
  }
}

/** Completes the upgrade, waits for the channels the options ask for, then hands the session its streams. */
export function acceptSpdyExec(socket: Duplex, head: Buffer, opts: ExecOptions, run: (io: ExecStreams) => Promise<void>): void {
  socket.write(["HTTP/1.1 101 Switching Protocols", "Connection: Upgrade", "Upgrade: SPDY/3.1", `X-Stream-Protocol-Version: ${SPDY_PROTOCOL}`, "", ""].join("\r\n"));
  if (head.length > 0) socket.unshift(head);
  const conn = connection.create(socket, { protocol: "spdy", isServer: true });
  conn.start(3.1);
  const wanted = new Set(["error", ...(opts.stdin ? ["stdin"] : []), ...(opts.stdout ? ["stdout"] : []), ...(opts.stderr ? ["stderr"] : [])]);
  const streams = new Map<string, SpdyStream>();
  const stdin = new StdinBuffer();
  let started = false;
  const close = () => {
    clearTimeout(timer);
    conn.end();
    socket.destroy();
  };
  const timer = setTimeout(close, STREAM_WAIT_MS);
  conn.on("error", close);
  socket.on("close", () => {
    clearTimeout(timer);
    stdin.end();
  });
  conn.on("stream", (stream) => {
    const type = stream.headers.streamtype ?? "";
    stream.respond(200, {});
    stream.on("error", () => undefined);
    streams.set(type, stream);
    // A stdin stream the options did not ask for is drained unread, as a kubelet ignores it.
    if (type === "stdin" && opts.stdin) {
      stream.on("data", (chunk: Buffer) => stdin.push(chunk));
      stream.on("end", () => stdin.end());
    } else {
      stream.resume();
    }
    if (started || ![...wanted].every((t) => streams.has(t))) return;
    started = true;
    clearTimeout(timer);
    const write = (t: string, data: Buffer) => streams.get(t)?.write(data);
    void run({
      readStdin: () => stdin.all,
      stdout: (d) => write("stdout", d),
      stderr: (d) => write("stderr", d),
      finish: (status) => {
        for (const t of ["stdout", "stderr"]) streams.get(t)?.end();
        const error = streams.get("error")!;
        error.end(Buffer.from(JSON.stringify(status)), () => setTimeout(close, 100));
      },
    });
  });
}
