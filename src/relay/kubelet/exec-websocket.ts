/**
 * The WebSocket remote-command protocols a kubelet serves (`v5.channel.k8s.io`, `v4.channel.k8s.io`):
 * binary messages whose first byte is the channel (0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize);
 * v5 adds 255 to close a channel, which is how the end of stdin is known.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { StdinBuffer, type ExecOptions, type ExecStreams } from "./exec-session";
import { KubeletError } from "./status";

export const WEBSOCKET_PROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io"] as const;
const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const CLOSE = 255;

const wss = new WebSocketServer({
  noServer: true,
  handleProtocols: (offered) => WEBSOCKET_PROTOCOLS.find((p) => offered.has(p)) ?? false,
});

/** The protocol the client and the relay share, or a refusal naming what the relay speaks. */
export function checkWebSocketProtocol(req: IncomingMessage, wantsStdin: boolean): void {
  const offered = (req.headers["sec-websocket-protocol"] ?? "").split(",").map((s) => s.trim());
  const chosen = WEBSOCKET_PROTOCOLS.find((p) => offered.includes(p));
  if (!chosen) throw new KubeletError(400, `machinelet: the kubelet API speaks ${WEBSOCKET_PROTOCOLS.join(" and ")} over WebSocket (offered: ${offered.join(", ") || "none"})`);
  if (wantsStdin && chosen !== "v5.channel.k8s.io") {
    throw new KubeletError(400, "machinelet: exec with stdin needs v5.channel.k8s.io, whose close message marks the end of stdin (Fly runs the command once stdin is complete)");
  }
}

/** Completes the upgrade and hands the session its streams. */
export function acceptWebSocketExec(req: IncomingMessage, socket: Duplex, head: Buffer, opts: ExecOptions, run: (io: ExecStreams) => Promise<void>): void {
  wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
    const stdin = new StdinBuffer();
    ws.on("message", (data: Buffer, isBinary) => {
      if (!isBinary || data.length === 0) return;
      // Without stdin in the options a kubelet opens channel 0 as an IgnoreChannel: its frames are dropped.
      if (data[0] === STDIN && opts.stdin) stdin.push(data.subarray(1));
      else if (data[0] === CLOSE && data[1] === STDIN) stdin.end();
    });
    ws.on("close", () => stdin.end());
    ws.on("error", () => ws.terminate());
    const send = (channel: number, data: Buffer) => {
      if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([channel]), data]));
    };
    void run({
      readStdin: () => stdin.all,
      stdout: (d) => send(STDOUT, d),
      stderr: (d) => send(STDERR, d),
      finish: (status) => {
        send(ERROR, Buffer.from(JSON.stringify(status)));
        if (ws.readyState === ws.OPEN) ws.close(1000);
      },
    });
  });
}
