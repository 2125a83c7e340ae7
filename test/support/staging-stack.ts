/**
 * The staging composition for tests: Machines emulator + worker (workerd via wrangler dev) + K8s
 * stand-in + relay, every port ephemeral, state in a temporary directory.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { startWorkerProcess, type WorkerProcess } from "../../src/dev/worker-process";
import { startEmulator, type RunningEmulator } from "../../src/emulator/server";
import { startK8sStandin, type K8sStandin } from "../../src/k8s/standin/server";
import { DEFAULT_TAINT } from "../../src/relay/config";
import { KubeApi } from "../../src/relay/kube-api";
import type { Logger } from "../../src/relay/log";
import { startRelay, type Relay } from "../../src/relay/relay";

export interface Stack {
  cluster: string;
  app: string;
  statusToken: string;
  emulator: RunningEmulator;
  worker: WorkerProcess;
  k8s: K8sStandin;
  relay: Relay;
  kube: KubeApi;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

export interface StackOptions {
  workerVars?: Record<string, string>;
  /** Credentials (default: derived from the cluster name). */
  flyToken?: string;
  relaySecret?: string;
  statusToken?: string;
  /** Every line the worker process prints. */
  onWorkerLine?: (line: string) => void;
  relayLog?: Logger;
}

export async function startStack(cluster: string, o: StackOptions = {}): Promise<Stack> {
  const dir = await mkdtemp(join(tmpdir(), `machinelet-${cluster}-`));
  const app = `fks-${cluster}`;
  const secret = o.relaySecret ?? `${cluster}-relay-secret`;
  const statusToken = o.statusToken ?? `${cluster}-status-token`;
  const flyToken = o.flyToken ?? `${cluster}-token`;
  const closers: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  };
  try {
    const emulator = await startEmulator({ tokens: [flyToken], apps: [app], config: { bootMs: 50, transitionMs: 50 } });
    closers.push(() => emulator.close());
    const worker = await startWorkerProcess({
      port: await freePort(),
      persistTo: join(dir, "worker-state"),
      vars: { MACHINES_API_URL: emulator.url, FLY_API_TOKEN: flyToken, RELAY_SECRET: secret, STATUS_TOKEN: statusToken, CLUSTERS: cluster, RECONCILE_INTERVAL_S: "2", ...o.workerVars },
      ...(o.onWorkerLine ? { onLine: o.onWorkerLine } : {}),
    });
    closers.push(() => worker.stop());
    // Every pod tolerates the relay's virtual-node taint (PodTolerationRestriction's cluster default).
    const toleration = { key: DEFAULT_TAINT.key, operator: "Exists", effect: DEFAULT_TAINT.effect } as const;
    const k8s = await startK8sStandin({ defaultTolerations: [toleration], kubeconfigPath: join(dir, "kubeconfig"), serviceFamily: "IPv6" });
    closers.push(() => k8s.close());
    const relay = await startRelay({
      kubeconfigPath: join(dir, "kubeconfig"),
      workerUrl: worker.url,
      cluster,
      relaySecret: secret,
      nodeName: `fks-${cluster}`,
      nodeAddress: "127.0.0.1",
      leaseIntervalMs: 300,
      nodeStatusIntervalMs: 1000,
      healthIntervalMs: 300,
      feedWaitSeconds: 2,
      metricsPort: 0,
      metricsHost: "127.0.0.1",
    }, o.relayLog ? { log: o.relayLog } : {});
    closers.push(() => relay.stop());
    const kc = new KubeConfig();
    kc.loadFromString(k8s.kubeconfig);
    return { cluster, app, statusToken, emulator, worker, k8s, relay, kube: new KubeApi(kc, 10_000), close };
  } catch (e) {
    await close();
    throw e;
  }
}
