/**
 * kube-apiserver 1.30+ (TranslateStreamCloseWebsocketRequests, on by default) answers a
 * WebSocket `v5.channel.k8s.io` exec or attach itself and speaks SPDY/3.1 (v4.channel.k8s.io) to
 * the kubelet: one SPDY stream per channel. This does the same for the stand-in (staging and tests
 * only). Failures to reach the kubelet go to the client as a Status on the error channel, as the
 * API server's translator writes them.
 */
import type { IncomingMessage } from "node:http";
import { request, type RequestOptions } from "node:https";
import type { Duplex } from "node:stream";
import { connection, type SpdyStream } from "../spdy/spdy-transport-compat";
import { WebSocketServer, type WebSocket } from "ws";

const V5 = "v5.channel.k8s.io";
const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => (offered.has(V5) ? V5 : false) });

export function wantsTranslation(req: IncomingMessage): boolean {
  const protocols = (req.headers["sec-websocket-protocol"] ?? "").split(",").map((s) => s.trim());
  return (req.headers.upgrade ?? "").toLowerCase() === "websocket" && protocols.includes(V5);
}

function internalError(message: string): Buffer {
  const status = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: `Internal error occurred: ${message}`, reason: "InternalError", code: 500 };
  return Buffer.from(JSON.stringify(status));
}

/** Opens the SPDY connection to the kubelet; rejects with the kubelet's refusal when it does not upgrade. */
function dialSpdy(target: RequestOptions, path: string): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const r = request({ ...target, path, method: "POST", headers: { Connection: "Upgrade", Upgrade: "SPDY/3.1", "X-Stream-Protocol-Version": "v4.channel.k8s.io" } });
    r.on("upgrade", (_answer, socket, head) => {
      if (head.length) socket.unshift(head);
      resolve(socket);
    });
    r.on("response", (answer) => {
      let body = "";
      answer.on("data", (c: Buffer) => (body += c.toString()));
      answer.on("end", () => {
        let message = body;
        try {
          message = (JSON.parse(body) as { message?: string }).message ?? body;
        } catch {
          // not a Status: keep the text
        }
        reject(new Error(`unable to upgrade connection: ${message}`));
      });
    });
    r.on("error", reject);
    r.end();
  });
}

function openStream(conn: ReturnType<typeof connection.create>, type: string): Promise<SpdyStream> {
  return new Promise((resolve, reject) => {
    (conn as unknown as { request(uri: object, cb: (err: Error | null, stream: SpdyStream) => void): void }).request(
      { method: "POST", path: "/", host: "kubelet", headers: { streamtype: type }, readable: true, writable: true },
      (err, stream) => (err ? reject(err) : resolve(stream)),
    );
  });
}

export function translateWebSocketToSpdy(req: IncomingMessage, socket: Duplex, head: Buffer, target: RequestOptions, path: string, query: URLSearchParams): void {
  const on = (p: string) => ["true", "1"].includes(query.get(p) ?? "");
  wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
    const send = (channel: number, data: Buffer) => ws.readyState === ws.OPEN && ws.send(Buffer.concat([Buffer.from([channel]), data]));
    const pendingStdin: Buffer[] = [];
    let stdinClosed = false;
    let stdin: SpdyStream | undefined;
    ws.on("message", (data: Buffer, binary) => {
      if (!binary || data.length === 0) return;
      if (data[0] === 0) (stdin ? stdin.write(data.subarray(1)) : pendingStdin.push(data.subarray(1)));
      else if (data[0] === 255 && data[1] === 0) {
        stdinClosed = true;
        stdin?.end();
      }
    });
    void (async () => {
      let upstream: Duplex | undefined;
      try {
        upstream = await dialSpdy(target, path);
        const conn = connection.create(upstream, { protocol: "spdy", isServer: false });
        conn.start(3.1);
        conn.on("error", () => ws.terminate());
        ws.on("close", () => upstream?.destroy());
        const error = await openStream(conn, "error");
        if (on("stdin")) {
          stdin = await openStream(conn, "stdin");
          for (const chunk of pendingStdin.splice(0)) stdin.write(chunk);
          if (stdinClosed) stdin.end();
        }
        const outputs = await Promise.all(
          ([["stdout", 1], ["stderr", 2]] as const)
            .filter(([name]) => on(name) && !(name === "stderr" && on("tty")))
            .map(async ([name, channel]) => {
              const s = await openStream(conn, name);
              s.on("data", (d: Buffer) => send(channel, d));
              return new Promise<void>((done) => s.once("end", done).once("close", done));
            }),
        );
        const status: Buffer[] = [];
        error.on("data", (d: Buffer) => status.push(d));
        await new Promise<void>((done) => error.once("end", done).once("close", done));
        await Promise.race([Promise.all(outputs), new Promise((r) => setTimeout(r, 1000))]);
        if (status.length) send(3, Buffer.concat(status));
        ws.close(1000);
        upstream.destroy();
      } catch (e) {
        send(3, internalError(e instanceof Error ? e.message : String(e)));
        ws.close(1000);
        upstream?.destroy();
      }
    })();
  });
}
