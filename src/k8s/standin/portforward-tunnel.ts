/**
 * kube-apiserver 1.31+ (PortForwardWebsockets, on by default) takes kubectl's port-forward as a
 * WebSocket whose subprotocol is `SPDY/3.1+portforward.k8s.io`: SPDY frames tunnelled in binary
 * messages. It upgrades to SPDY/3.1 towards the kubelet, offering the protocols without the
 * prefix, and only once the kubelet has switched protocols does it accept the WebSocket (with the
 * kubelet's chosen protocol, prefixed again) and copy bytes between the two; any other answer of
 * the kubelet goes back to the client as it came (apiserver util/proxy/streamtunnel.go). This
 * does the same for the stand-in (staging and tests only).
 */
import type { IncomingMessage } from "node:http";
import { request, type RequestOptions } from "node:https";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";

const TUNNEL_PREFIX = "SPDY/3.1+";
const KUBERNETES_SUFFIX = ".k8s.io";

function tunnelledProtocols(req: IncomingMessage): string[] {
  return (req.headers["sec-websocket-protocol"] ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((p) => p.startsWith(TUNNEL_PREFIX) && p.endsWith(KUBERNETES_SUFFIX))
    .map((p) => p.slice(TUNNEL_PREFIX.length));
}

/** A WebSocket upgrade that tunnels SPDY (IsWebSocketRequestWithTunnelingProtocol). */
export function wantsTunnel(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? "").toLowerCase() === "websocket" && tunnelledProtocols(req).length > 0;
}

/**
 * Dials the kubelet with SPDY/3.1 and, once it switched, accepts the client's WebSocket and pipes
 * the tunnelled SPDY both ways; `refused` passes a non-101 answer back unchanged.
 */
export function tunnelPortForward(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  target: RequestOptions,
  path: string,
  refused: (answer: IncomingMessage) => void,
  unreachable: (e: Error) => void,
): void {
  const upstream = request({ ...target, path, method: "POST", headers: { Connection: "Upgrade", Upgrade: "SPDY/3.1", "X-Stream-Protocol-Version": tunnelledProtocols(req) } });
  upstream.on("upgrade", (answer, kubelet, kubeletHead) => {
    const chosen = String(answer.headers["x-stream-protocol-version"] ?? "").trim();
    // ws refuses `SPDY/3.1+...` as a subprotocol token ("/" is not a tchar); gorilla, which both ends
    // of Kubernetes use, takes it. So the offer is set aside and the answer written by hand.
    delete req.headers["sec-websocket-protocol"];
    const wss = new WebSocketServer({ noServer: true });
    if (chosen) wss.on("headers", (headers) => headers.push(`Sec-WebSocket-Protocol: ${TUNNEL_PREFIX}${chosen}`));
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (kubeletHead.length) ws.send(kubeletHead, { binary: true });
      kubelet.on("data", (chunk: Buffer) => ws.send(chunk, { binary: true }));
      ws.on("message", (data: Buffer, isBinary: boolean) => {
        if (isBinary) kubelet.write(data);
        else ws.close(1003, "invalid message type received");
      });
      ws.on("close", () => kubelet.destroy());
      ws.on("error", () => kubelet.destroy());
      kubelet.on("close", () => ws.close(1000));
      kubelet.on("error", () => ws.terminate());
    });
  });
  upstream.on("response", refused);
  upstream.on("error", unreachable);
  upstream.end();
}
