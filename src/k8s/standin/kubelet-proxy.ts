/**
 * `pods/log`, `pods/exec`, `pods/attach` and `pods/portforward` of the K8s stand-in (staging and
 * tests only), served as kube-apiserver serves them: it finds the pod's node, and calls that
 * node's kubelet at its address and `daemonEndpoints.kubeletEndpoint.Port` over HTTPS with its
 * kubelet client certificate, without verifying the kubelet's serving certificate (kube-apiserver
 * without --kubelet-certificate-authority). Logs are streamed through; upgrades (SPDY/3.1 and
 * WebSocket) are passed through, except WebSocket v5 remote commands, which kube-apiserver 1.30+
 * translates into SPDY towards the kubelet (kubelet-stream-translator.ts), and port-forwards
 * tunnelling SPDY in a WebSocket, which 1.31+ unwraps (portforward-tunnel.ts).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { request } from "node:https";
import type { Duplex } from "node:stream";
import { ApiError, badRequest } from "./api-errors";
import type { K8sObject } from "./k8s-object";
import { isJsonObject } from "./k8s-object";
import { PODS, type Registry } from "./registry";
import { resourceByKind, type ResourceType } from "./resources";
import { translateWebSocketToSpdy, wantsTranslation } from "./kubelet-stream-translator";
import { tunnelPortForward, wantsTunnel } from "./portforward-tunnel";

export const KUBELET_SUBRESOURCES = ["log", "exec", "attach", "portforward"] as const;
export type KubeletSubresource = (typeof KUBELET_SUBRESOURCES)[number];

/** The kubelet client certificate kube-apiserver presents (--kubelet-client-certificate/-key). */
export interface KubeletClientCert {
  cert: string;
  key: string;
}

export const isKubeletSubresource = (s: string | undefined): s is KubeletSubresource => (KUBELET_SUBRESOURCES as readonly string[]).includes(s ?? "");

/** Discovery entries of the pod subresources the kubelet serves, as kube-apiserver lists them. */
export function kubeletSubresourceEntries(rt: ResourceType): unknown[] {
  if (rt.kind !== "Pod") return [];
  return [
    { name: "pods/attach", singularName: "", namespaced: true, kind: "PodAttachOptions", verbs: ["create", "get"] },
    { name: "pods/exec", singularName: "", namespaced: true, kind: "PodExecOptions", verbs: ["create", "get"] },
    { name: "pods/log", singularName: "", namespaced: true, kind: "Pod", verbs: ["get"] },
    { name: "pods/portforward", singularName: "", namespaced: true, kind: "PodPortForwardOptions", verbs: ["create", "get"] },
  ];
}

interface ContainerSpec {
  name?: unknown;
}

function containerNames(pod: K8sObject): { app: string[]; all: string[] } {
  const spec = isJsonObject(pod.spec) ? (pod.spec as { containers?: ContainerSpec[]; initContainers?: ContainerSpec[]; ephemeralContainers?: ContainerSpec[] }) : {};
  const names = (list: ContainerSpec[] | undefined) => (list ?? []).map((c) => c.name).filter((n): n is string => typeof n === "string");
  return { app: names(spec.containers), all: [...names(spec.initContainers), ...names(spec.containers), ...names(spec.ephemeralContainers)] };
}

/** The container a request means, checked as kube-apiserver's LogLocation/ExecLocation check it. */
function containerOf(pod: K8sObject, asked: string | null): string {
  const name = pod.metadata.name ?? "";
  const { app, all } = containerNames(pod);
  if (!asked) {
    if (app.length === 1) return app[0]!;
    throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${app.join(" ")}]`);
  }
  if (!all.includes(asked)) throw badRequest(`container ${asked} is not valid for pod ${name}`);
  return asked;
}

/** host:port of the pod's node's kubelet (addresses preferred InternalIP, then Hostname, as K3s configures). */
function kubeletOf(registry: Registry, pod: K8sObject): { host: string; port: number } {
  const nodeName = isJsonObject(pod.spec) && typeof pod.spec.nodeName === "string" ? pod.spec.nodeName : "";
  if (!nodeName) throw badRequest(`pod ${pod.metadata.name} does not have a host assigned`);
  const node = registry.find(resourceByKind("Node"), undefined, nodeName);
  const status = (node?.status ?? {}) as { addresses?: Array<{ type?: string; address?: string }>; daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } };
  const address = ["InternalIP", "Hostname", "ExternalIP"].map((t) => status.addresses?.find((a) => a.type === t)?.address).find(Boolean);
  const port = status.daemonEndpoints?.kubeletEndpoint?.Port ?? 0;
  if (!node || !address || !port) throw new ApiError(503, "ServiceUnavailable", `no kubelet endpoint is known for node ${nodeName}`);
  return { host: address, port };
}

/** The kubelet path and query for a pod subresource request (kube-apiserver's *Location functions). */
function kubeletPath(pod: K8sObject, subresource: KubeletSubresource, query: URLSearchParams): string {
  const ns = encodeURIComponent(pod.metadata.namespace ?? "");
  const name = encodeURIComponent(pod.metadata.name ?? "");
  const out = new URLSearchParams();
  if (subresource === "portforward") return `/portforward/${ns}/${name}`;
  const container = encodeURIComponent(containerOf(pod, query.get("container")));
  if (subresource === "log") {
    for (const p of ["follow", "previous", "timestamps", "sinceSeconds", "sinceTime", "tailLines", "limitBytes"]) {
      const v = query.get(p);
      if (v !== null && v !== "" && v !== "false") out.set(p, v);
    }
    return `/containerLogs/${ns}/${name}/${container}${out.size ? `?${out}` : ""}`;
  }
  const on = (p: string) => ["true", "1"].includes(query.get(p) ?? "");
  if (subresource === "exec") for (const c of query.getAll("command")) out.append("command", c);
  for (const p of ["stdin", "stdout", "stderr", "tty"]) if (on(p)) out.set(p, "1");
  if (subresource === "exec" && query.getAll("command").length === 0) throw badRequest("you must specify at least one command for the container");
  return `/${subresource}/${ns}/${name}/${container}?${out}`;
}

/** Headers passed to the kubelet: the client's, less its credentials and hop-by-hop ones. */
function forwardedHeaders(req: IncomingMessage, upgrade: boolean): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headersDistinct)) {
    if (!v || ["authorization", "host", "content-length", "transfer-encoding"].includes(k)) continue;
    if (!upgrade && ["connection", "upgrade"].includes(k)) continue;
    out[k] = v.length === 1 ? v[0]! : v;
  }
  return out;
}

function podOf(registry: Registry, namespace: string, name: string): K8sObject {
  return registry.get(PODS, namespace, name);
}

/** GET pods/log: the kubelet's answer, streamed. */
export function proxyPodLog(registry: Registry, client: KubeletClientCert, req: IncomingMessage, res: ServerResponse, namespace: string, name: string, query: URLSearchParams): Promise<void> {
  if (req.method !== "GET") throw new ApiError(405, "MethodNotAllowed", `the server does not allow this method on the requested resource`);
  const pod = podOf(registry, namespace, name);
  const path = kubeletPath(pod, "log", query);
  // LogLocation: a pod not yet bound to a node has no logs to stream, and that is not an error.
  if (!(isJsonObject(pod.spec) && pod.spec.nodeName)) {
    res.writeHead(200, { "Content-Type": "text/plain" }).end();
    return Promise.resolve();
  }
  const target = kubeletOf(registry, pod);
  return new Promise((resolve) => {
    const upstream = request({ ...target, path, method: "GET", headers: forwardedHeaders(req, false), ...client, rejectUnauthorized: false }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, { "Content-Type": answer.headers["content-type"] ?? "text/plain", "Cache-Control": "no-cache, private" });
      answer.pipe(res);
      answer.on("end", resolve);
      answer.on("error", () => res.destroy());
    });
    res.on("close", () => upstream.destroy());
    upstream.on("error", (e) => {
      if (!res.headersSent) res.writeHead(503, { "Content-Type": "application/json" }).end(JSON.stringify(new ApiError(503, "ServiceUnavailable", `error trying to reach the kubelet: ${e.message}`).toStatus()));
      else res.destroy();
      resolve();
    });
    upstream.end();
  });
}

/** An upgrade (exec, attach, portforward) to the pod's kubelet: translated for WebSocket v5, else passed through. */
export function proxyPodUpgrade(
  registry: Registry,
  client: KubeletClientCert,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  namespace: string,
  name: string,
  subresource: KubeletSubresource,
  query: URLSearchParams,
): void {
  if (subresource === "log") throw badRequest("pods/log is not an upgrade");
  const pod = podOf(registry, namespace, name);
  const path = kubeletPath(pod, subresource, query);
  const target = { ...kubeletOf(registry, pod), ...client, rejectUnauthorized: false };
  if (subresource !== "portforward" && wantsTranslation(req)) return translateWebSocketToSpdy(req, socket, head, target, path, query);
  if (subresource === "portforward" && wantsTunnel(req)) {
    return tunnelPortForward(req, socket, head, target, path, (answer) => passBack(answer, socket), (e) => unreachable(socket, e));
  }
  const upstream = request({ ...target, path, method: req.method, headers: forwardedHeaders(req, true) });
  upstream.on("upgrade", (answer, upSocket, upHead) => {
    const lines = [`HTTP/1.1 ${answer.statusCode} ${answer.statusMessage}`];
    for (let i = 0; i < answer.rawHeaders.length; i += 2) lines.push(`${answer.rawHeaders[i]}: ${answer.rawHeaders[i + 1]}`);
    socket.write(lines.join("\r\n") + "\r\n\r\n");
    if (upHead.length) socket.write(upHead);
    if (head.length) upSocket.write(head);
    upSocket.pipe(socket).pipe(upSocket);
    upSocket.on("error", () => socket.destroy());
    socket.on("error", () => upSocket.destroy());
    socket.on("close", () => upSocket.destroy());
    upSocket.on("close", () => socket.destroy());
  });
  upstream.on("response", (answer) => passBack(answer, socket));
  upstream.on("error", (e) => unreachable(socket, e));
  upstream.end();
}

/** The kubelet refused the upgrade: its answer (a Status) goes back as it came. */
function passBack(answer: IncomingMessage, socket: Duplex): void {
  const lines = [`HTTP/1.1 ${answer.statusCode} ${answer.statusMessage}`];
  for (let i = 0; i < answer.rawHeaders.length; i += 2) {
    if (!/^(transfer-encoding|connection)$/i.test(answer.rawHeaders[i]!)) lines.push(`${answer.rawHeaders[i]}: ${answer.rawHeaders[i + 1]}`);
  }
  const chunks: Buffer[] = [];
  answer.on("data", (c: Buffer) => chunks.push(c));
  answer.on("end", () => {
    const body = Buffer.concat(chunks);
    socket.end(Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`), body]));
  });
}

const unreachable = (socket: Duplex, e: Error) => writeUpgradeError(socket, new ApiError(503, "ServiceUnavailable", `error trying to reach the kubelet: ${e.message}`));

export function writeUpgradeError(socket: Duplex, err: ApiError): void {
  const body = JSON.stringify(err.toStatus());
  socket.end(`HTTP/1.1 ${err.code} ${err.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
