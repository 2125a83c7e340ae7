/**
 * The kubelet API of the virtual node (HTTPS, by default on daemonEndpoints.kubeletEndpoint.Port):
 * what the Kubernetes API server calls for `pods/log`, `pods/exec`, `pods/attach` and
 * `pods/portforward`. Callers authenticate as the kubelet's webhook mode lets them (authn.ts): a
 * client certificate signed by the configured client CA (the API server's kubelet client
 * certificate), or a bearer token the API server's TokenReview vouches for and whose user a
 * SubjectAccessReview allows `nodes/proxy` on this node; nothing answers anyone else.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { KubeObject } from "../kube-api";
import { errorMessage, type Logger } from "../log";
import type { WorkerClient } from "../worker-client";
import type { KubeletAuth } from "./authn";
import { parseLogOptions, serveContainerLogs } from "./container-logs";
import { parseExecOptions, runExec } from "./exec-session";
import { acceptSpdyExec, checkSpdyProtocol, isSpdyUpgrade } from "./exec-spdy";
import { acceptWebSocketExec, checkWebSocketProtocol } from "./exec-websocket";
import type { PodDialer } from "./pod-dialer";
import { resolveTarget } from "./pod-target";
import { acceptPortForward, checkPortForwardProtocol } from "./port-forward";
import { failure, KubeletError, LIMITS, sendStatus, type KubeStatus } from "./status";

export interface KubeletServerOptions {
  host: string;
  port: number;
  /** PEM serving certificate and key. */
  cert: string;
  key: string;
  /** PEM CA bundle that callers' client certificates must chain to. */
  clientCa: string;
  /** Token and permission checks (bearer callers). */
  auth: KubeletAuth;
  /** How to reach a pod's port for port-forward; absent where the relay cannot reach the pods' network. */
  dialer?: PodDialer;
  nodeName: string;
  worker: WorkerClient;
  log: Logger;
  cachedPod: (namespace: string, name: string) => KubeObject | undefined;
  logPoll: { baseMs: number; maxMs: number };
}

export interface KubeletServer {
  port: number;
  /** Open exec and log sessions. */
  sessions(): number;
  close(): Promise<void>;
}

interface Route {
  kind: "containerLogs" | "exec" | "attach" | "portforward" | "other";
  namespace: string;
  pod: string;
  container?: string;
}

/** `/containerLogs/{ns}/{pod}/{container}`, `/exec|attach/{ns}/{pod}[/{uid}]/{container}`, `/portforward/{ns}/{pod}[/{uid}]`. */
function routeOf(path: string): Route {
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const [kind, namespace = "", pod = "", ...rest] = parts;
  if (kind === "containerLogs" && rest.length === 1) return { kind, namespace, pod, container: rest[0] };
  if ((kind === "exec" || kind === "attach") && (rest.length === 1 || rest.length === 2)) return { kind, namespace, pod, container: rest.at(-1) };
  if (kind === "portforward" && rest.length <= 1 && pod) return { kind, namespace, pod };
  return { kind: "other", namespace, pod };
}

function refuse(socket: Duplex, status: KubeStatus): void {
  const body = JSON.stringify(status);
  socket.end(`HTTP/1.1 ${status.code ?? 500} ${status.reason ?? "Error"}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

const asStatus = (e: unknown): KubeStatus => (e instanceof KubeletError ? e.toStatus() : failure(500, `machinelet: ${errorMessage(e)}`));

export async function startKubeletServer(o: KubeletServerOptions): Promise<KubeletServer> {
  let open = 0;
  const track = async (work: Promise<void>) => {
    open++;
    try {
      await work;
    } finally {
      open--;
    }
  };
  const unsupported = (route: Route): KubeletError => {
    if (route.kind === "attach") return new KubeletError(501, LIMITS.attach);
    if (route.kind === "portforward") return o.dialer ? new KubeletError(400, "port-forward needs an upgrade to SPDY/3.1") : new KubeletError(501, LIMITS.portForwardNoNetwork);
    return new KubeletError(404, `machinelet: the kubelet API of virtual node ${o.nodeName} serves containerLogs, exec and portforward only; nothing runs on this node itself (pods are Fly Machines)`);
  };

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "https://kubelet");
    await o.auth.authorize(req);
    if (url.pathname === "/healthz") return void res.writeHead(200, { "Content-Type": "text/plain" }).end("ok");
    const route = routeOf(url.pathname);
    if (route.kind === "exec") throw new KubeletError(400, "exec needs an upgrade to SPDY/3.1 or WebSocket");
    if (route.kind !== "containerLogs") throw unsupported(route);
    if (req.method !== "GET") throw new KubeletError(405, `${req.method} is not allowed on containerLogs`);
    const options = parseLogOptions(url.searchParams);
    const target = resolveTarget(o.cachedPod(route.namespace, route.pod), route.namespace, route.pod, route.container);
    const podAlive = () => o.cachedPod(target.namespace, target.name)?.metadata.uid === target.uid;
    await track(serveContainerLogs({ worker: o.worker, podAlive, poll: o.logPoll }, target, options, res));
  }

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on("error", () => socket.destroy());
    try {
      await o.auth.authorize(req);
      const url = new URL(req.url ?? "/", "https://kubelet");
      const route = routeOf(url.pathname);
      if (route.kind === "portforward") return portForward(req, socket, head, route);
      if (route.kind !== "exec") throw unsupported(route);
      const options = parseExecOptions(url.searchParams);
      const target = resolveTarget(o.cachedPod(route.namespace, route.pod), route.namespace, route.pod, route.container);
      const run = (io: Parameters<typeof runExec>[3]) => track(runExec(o.worker, target, options, io));
      o.log.info("exec", { namespace: target.namespace, pod: target.name, container: target.container, protocol: isSpdyUpgrade(req) ? "spdy" : "websocket" });
      if (isSpdyUpgrade(req)) {
        checkSpdyProtocol(req);
        acceptSpdyExec(socket, head, options, run);
      } else if ((req.headers.upgrade ?? "").toLowerCase() === "websocket") {
        checkWebSocketProtocol(req, options.stdin);
        acceptWebSocketExec(req, socket, head, options, run);
      } else {
        throw new KubeletError(400, `machinelet: unsupported upgrade "${req.headers.upgrade}": use SPDY/3.1 or websocket`);
      }
    } catch (e) {
      refuse(socket, asStatus(e));
    }
  }

  function portForward(req: IncomingMessage, socket: Duplex, head: Buffer, route: Route): void {
    if (!o.dialer) throw unsupported(route);
    const pod = o.cachedPod(route.namespace, route.pod);
    if (!pod?.metadata.uid) throw new KubeletError(404, `machinelet: pod ${route.namespace}/${route.pod} is not running on this node`);
    const ip = (pod.status as { podIP?: string } | undefined)?.podIP;
    if (!ip) throw new KubeletError(400, `machinelet: pod ${route.namespace}/${route.pod} has no IP yet: its Fly Machine has not started`);
    if (!isSpdyUpgrade(req)) throw new KubeletError(400, `machinelet: port-forward speaks SPDY/3.1 (kube-apiserver unwraps kubectl's WebSocket tunnel into it); got upgrade "${req.headers.upgrade}"`);
    checkPortForwardProtocol(req);
    o.log.info("port-forward", { namespace: route.namespace, pod: route.pod });
    acceptPortForward(socket, head, { namespace: route.namespace, name: route.pod, uid: pod.metadata.uid, ip }, o.dialer, o.log, (work) => void track(work));
  }

  const server: Server = createServer({ cert: o.cert, key: o.key, ca: o.clientCa, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    onRequest(req, res).catch((e: unknown) => {
      if (!(e instanceof KubeletError)) o.log.warn("kubelet API request failed", { path: req.url?.split("?")[0], error: errorMessage(e) });
      sendStatus(res, asStatus(e));
    });
  });
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => void onUpgrade(req, socket, head));
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    sessions: () => open,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
