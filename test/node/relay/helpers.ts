/**
 * Shared set-up for the relay tests: the K8s stand-in, the fake worker, a relay with short
 * intervals between them, a raw API client for the test's own writes, and polling.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { kubeconfigFor } from "../../../src/k8s/standin/kubeconfig";
import { startK8sStandin, type K8sStandin } from "../../../src/k8s/standin/server";
import { DEFAULT_TAINT, type RelayOptions } from "../../../src/relay/config";
import { KubeApi, type KubeObject } from "../../../src/relay/kube-api";
import { createLogger, type Logger } from "../../../src/relay/log";
import { startRelay, type Relay } from "../../../src/relay/relay";
import { startFakeWorker, type FakeWorker } from "./fake-worker";

export const SECRET = "test-relay-secret";
export const CLUSTER = "test";
export const NODE = "fks-test";

let explainer: (() => Promise<string>) | undefined;

/** What a timed-out `waitFor` adds to its error (the e2e system: the worker's last lines); undefined: nothing. */
export function explainTimeouts(explain: (() => Promise<string>) | undefined): void {
  explainer = explain;
}

/** Polls `check` until it returns a value other than undefined/false, or fails with what it last saw. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      const context = explainer ? `\n${await explainer().catch((e: unknown) => String(e))}` : "";
      throw new Error(`timed out waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}${context}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Log lines kept in memory; printed by the test only when it wants to show them. */
export function memoryLog(level: "debug" | "info" = "debug"): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger({ level, write: (l) => lines.push(l) }), lines };
}

/** Relay options for tests: every interval short, backoff small. */
export function testOptions(kubeconfigPath: string, workerUrl: string, extra: Partial<RelayOptions> = {}): RelayOptions {
  return {
    kubeconfigPath,
    workerUrl,
    cluster: CLUSTER,
    relaySecret: SECRET,
    nodeName: NODE,
    nodeAddress: "127.0.0.1",
    leaseIntervalMs: 200,
    nodeStatusIntervalMs: 500,
    healthIntervalMs: 100,
    unreachableAfterMs: 400,
    feedWaitSeconds: 1,
    watchdogMs: 60_000,
    requestTimeoutMs: 3000,
    backoffBaseMs: 50,
    backoffMaxMs: 400,
    shutdownFlushMs: 500,
    metricsPort: 0,
    metricsHost: "127.0.0.1",
    ...extra,
  };
}

/** A TCP proxy in front of the stand-in that can cut or freeze every connection through it. */
export interface Proxy {
  port: number;
  /** Destroys every open connection (both sides). */
  dropAll(): void;
  /** While frozen, bytes are no longer forwarded and new connections hang. */
  setFrozen(frozen: boolean): void;
  close(): Promise<void>;
}

export async function startProxy(targetPort: number): Promise<Proxy> {
  const pairs = new Set<[Socket, Socket]>();
  let frozen = false;
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, "127.0.0.1");
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const forward = (from: Socket, to: Socket) =>
      from.on("data", (d) => {
        if (!frozen) to.write(d);
      });
    forward(client, upstream);
    forward(upstream, client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    dropAll: () => {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
    },
    setFrozen: (f) => {
      frozen = f;
    },
    close: async () => {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface Harness {
  standin: K8sStandin;
  worker: FakeWorker;
  kube: KubeApi;
  kubeconfigPath: string;
  relay?: Relay;
  logLines: string[];
  start(extra?: Partial<RelayOptions>, opts?: { viaProxy?: Proxy }): Promise<Relay>;
  close(): Promise<void>;
}

/** What pods need to be scheduled onto the relay's tainted virtual node; the harness's stand-in adds it to every pod. */
export const VIRTUAL_NODE_TOLERATION = { key: DEFAULT_TAINT.key, operator: "Exists", effect: DEFAULT_TAINT.effect } as const;

/** Stand-in + fake worker (+ optionally a relay, started by `start`). */
export async function harness(standinOptions: Parameters<typeof startK8sStandin>[0] = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), "relay-test-"));
  const standin = await startK8sStandin({ defaultTolerations: [VIRTUAL_NODE_TOLERATION], ...standinOptions });
  const worker = await startFakeWorker({ secret: SECRET, cluster: CLUSTER });
  const kubeconfigPath = join(dir, "kubeconfig");
  await writeFile(kubeconfigPath, standin.kubeconfig);
  const kc = new KubeConfig();
  kc.loadFromString(standin.kubeconfig);
  const { log, lines } = memoryLog();
  const h: Harness = {
    standin,
    worker,
    kube: new KubeApi(kc, 5000),
    kubeconfigPath,
    logLines: lines,
    async start(extra = {}, opts = {}) {
      let path = kubeconfigPath;
      if (opts.viaProxy) {
        path = join(dir, "kubeconfig-proxy");
        await writeFile(path, kubeconfigFor(`https://127.0.0.1:${opts.viaProxy.port}`, standin.ca, standin.token));
      }
      h.relay = await startRelay(testOptions(path, worker.url, extra), { log });
      return h.relay;
    },
    async close() {
      await h.relay?.stop();
      await worker.close();
      await standin.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return h;
}

export const podManifest = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "default", labels: { app: name } },
  spec: { containers: [{ name: "main", image: "nginx:1.27" }] },
  ...extra,
});

export async function createPod(kube: KubeApi, name: string, namespace = "default"): Promise<KubeObject> {
  return kube.request<KubeObject>("POST", `/api/v1/namespaces/${namespace}/pods`, { body: podManifest(name) });
}

export async function getPod(kube: KubeApi, name: string, namespace = "default"): Promise<KubeObject | undefined> {
  try {
    return await kube.request<KubeObject>("GET", `/api/v1/namespaces/${namespace}/pods/${name}`);
  } catch (e) {
    if ((e as { status?: number }).status === 404) return undefined;
    throw e;
  }
}
