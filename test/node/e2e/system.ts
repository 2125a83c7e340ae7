/**
 * The whole system on loopback for end-to-end tests, as staging runs it: Machines emulator,
 * worker (workerd via wrangler dev), K8s stand-in, and the relay joined to it with its kubelet API.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { startWorkerProcess, type WorkerProcess } from "../../../src/dev/worker-process";
import { startEmulator, type RunningEmulator } from "../../../src/emulator/server";
import { startK8sStandin, type K8sStandin } from "../../../src/k8s/standin/server";
import type { RelayOptions } from "../../../src/relay/config";
import { KubeApi } from "../../../src/relay/kube-api";
import { createLogger } from "../../../src/relay/log";
import { startRelay, type Relay } from "../../../src/relay/relay";
import { VIRTUAL_NODE_TOLERATION } from "../relay/helpers";

export interface System {
  dir: string;
  app: string;
  emulator: RunningEmulator;
  worker: WorkerProcess;
  k8s: K8sStandin;
  relay: Relay;
  kube: KubeApi;
  kubeconfigPath: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

/** `podNetwork`: the emulator's loopback network stands in for 6PN, and the relay port-forwards over it. */
export async function startSystem(opts: { cluster: string; relay?: Partial<RelayOptions>; podNetwork?: boolean }): Promise<System> {
  const dir = await mkdtemp(join(tmpdir(), `machinelet-${opts.cluster}-`));
  const app = `fks-${opts.cluster}`;
  const secret = `${opts.cluster}-relay-secret`;
  const emulator = await startEmulator({ tokens: ["e2e-token"], apps: [app], config: { bootMs: 50, transitionMs: 50 }, loopback: opts.podNetwork ?? false });
  const worker = await startWorkerProcess({
    port: await freePort(),
    persistTo: join(dir, "worker-state"),
    vars: { MACHINES_API_URL: emulator.url, FLY_API_URL: emulator.url, FLY_API_TOKEN: "e2e-token", RELAY_SECRET: secret, RECONCILE_INTERVAL_S: "2" },
  });
  const kubeconfigPath = join(dir, "kubeconfig");
  const k8s = await startK8sStandin({ defaultTolerations: [VIRTUAL_NODE_TOLERATION], kubeconfigPath, serviceFamily: "IPv6" });
  await writeFile(join(dir, "kubelet-client-ca.crt"), k8s.kubeletClientCa);
  const relay = await startRelay(
    {
      kubeconfigPath,
      workerUrl: worker.url,
      cluster: opts.cluster,
      relaySecret: secret,
      nodeName: `fks-${opts.cluster}`,
      nodeAddress: "127.0.0.1",
      kubeletBindAddress: "127.0.0.1",
      kubeletPort: 0,
      metricsPort: 0,
      kubeletClientCaFile: join(dir, "kubelet-client-ca.crt"),
      leaseIntervalMs: 300,
      nodeStatusIntervalMs: 1000,
      healthIntervalMs: 300,
      feedWaitSeconds: 2,
      ...(opts.podNetwork ? { portForward: `emulator:${emulator.url}` } : {}),
      ...opts.relay,
    },
    { log: createLogger({ level: "warn" }) },
  );
  const kc = new KubeConfig();
  kc.loadFromString(k8s.kubeconfig);
  return {
    dir,
    app,
    emulator,
    worker,
    k8s,
    relay,
    kube: new KubeApi(kc, 10_000),
    kubeconfigPath,
    stop: async () => {
      await relay.stop();
      await k8s.close();
      await worker.stop();
      await emulator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
