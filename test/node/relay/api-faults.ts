/**
 * An HTTPS proxy in front of the K8s stand-in that answers chosen requests itself with an API
 * server Status (what a denying or failing admission webhook, or a policy engine, makes the API
 * server answer) and passes everything else through, watches included. It counts both.
 */
import { Agent, createServer, request, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { kubeconfigFor } from "../../../src/k8s/standin/kubeconfig";
import type { K8sStandin } from "../../../src/k8s/standin/server";
import { createSelfSignedCert } from "../../../src/k8s/tls/x509";

export interface Fault {
  code: number;
  reason: string;
  message: string;
}

/** Decides, per request, whether to answer it with a fault; undefined passes it through. */
export type FaultRule = (method: string, path: string) => Fault | undefined;

export interface FaultyApi {
  /** A kubeconfig text that points at the proxy. */
  kubeconfig: string;
  rule: FaultRule;
  /** How often `METHOD path` was answered with a fault, and passed through. */
  count(method: string, path: string): { faulted: number; passed: number };
  close(): Promise<void>;
}

export async function startFaultyApi(standin: K8sStandin): Promise<FaultyApi> {
  const { cert, key } = await createSelfSignedCert(["127.0.0.1"]);
  const agent = new Agent({ keepAlive: true, ca: standin.ca });
  const counts = new Map<string, { faulted: number; passed: number }>();
  const countOf = (method: string, path: string) => {
    const k = `${method} ${path}`;
    if (!counts.has(k)) counts.set(k, { faulted: 0, passed: 0 });
    return counts.get(k)!;
  };
  const api: FaultyApi = {
    kubeconfig: "",
    rule: () => undefined,
    count: (method, path) => ({ ...countOf(method, path) }),
    close: async () => {
      server.closeAllConnections();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer({ cert, key }, (req, res) => {
    const method = req.method ?? "GET";
    const path = new URL(req.url ?? "/", "https://proxy").pathname;
    const fault = api.rule(method, path);
    if (fault) {
      countOf(method, path).faulted++;
      req.resume();
      res.writeHead(fault.code, { "content-type": "application/json" });
      res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", code: fault.code, reason: fault.reason, message: fault.message }));
      return;
    }
    countOf(method, path).passed++;
    const headers = { ...req.headers };
    delete headers.connection;
    const upstream = request({ host: "127.0.0.1", port: standin.port, method, path: req.url, headers, agent }, (answer) => {
      const back = { ...answer.headers };
      delete back.connection;
      delete back["keep-alive"];
      res.writeHead(answer.statusCode ?? 502, back);
      answer.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  api.kubeconfig = kubeconfigFor(`https://127.0.0.1:${(server.address() as AddressInfo).port}`, cert, standin.token);
  return api;
}
