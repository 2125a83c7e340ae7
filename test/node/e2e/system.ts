/**
 * The whole system on loopback for end-to-end tests, as staging composes it: Machines emulator,
 * worker (workerd via wrangler dev), K8s stand-in, and the relay joined to it with its kubelet API.
 * Every port is ephemeral and the state lives in a temporary directory that `stop()` removes.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { freePort } from "../../../src/dev/free-port";
import { startForwarderRunner, type ForwarderRunner } from "../../../src/dev/forwarder-runner";
import { startWorkerProcess, type WorkerProcess } from "../../../src/dev/worker-process";
import { startClusterDns, type ClusterDns } from "../../../src/dns/cluster-dns";
import { systemUpstream, type Upstream } from "../../../src/dns/upstream";
import { startEmulator, type RunningEmulator } from "../../../src/emulator/server";
import { startK8sStandin, type K8sStandin } from "../../../src/k8s/standin/server";
import type { RelayOptions } from "../../../src/relay/config";
import { KubeApi } from "../../../src/relay/kube-api";
import { createLogger, type Logger } from "../../../src/relay/log";
import { startRelay, type Relay } from "../../../src/relay/relay";
import { explainTimeouts, VIRTUAL_NODE_TOLERATION } from "../relay/helpers";

/** Worker output lines kept for a timed-out wait to show. */
const TAIL_LINES = 80;
const QUIET = /(GET \/healthz|GET \/v1\/clusters\/[^/ ]+\/status) 200/;

export interface SystemOptions {
  cluster: string;
  /** Credentials (default: derived from the cluster name). */
  flyToken?: string;
  relaySecret?: string;
  statusToken?: string;
  /** Added to (or overriding) the worker's vars. */
  workerVars?: Record<string, string>;
  /** Every line the worker process prints (default: discarded). */
  onWorkerLine?: (line: string) => void;
  /** Added to (or overriding) the relay's options. */
  relay?: Partial<RelayOptions>;
  /** The relay's logger (default: warnings and errors to stdout). */
  relayLog?: Logger;
  /** The emulator's loopback network stands in for 6PN, and the relay port-forwards over it. */
  podNetwork?: boolean;
  /**
   * Services as staging runs them: the pod network, the cluster DNS (domain cluster.local, short
   * names expanded with the default namespace's search path) and the forwarder runner.
   */
  services?: boolean;
  /** Ports images listen on (the emulator's `imagePorts`: what their EXPOSE would say). */
  imagePorts?: Record<string, number[]>;
}

export interface System {
  cluster: string;
  app: string;
  flyToken: string;
  statusToken: string;
  dir: string;
  emulator: RunningEmulator;
  worker: WorkerProcess;
  k8s: K8sStandin;
  /** The running relay; replaced by `startRelay()`. */
  relay: Relay;
  kube: KubeApi;
  kubeconfigPath: string;
  /** With `services`: the cluster DNS (UDP and TCP on 127.0.0.1:`dns.port`) and the forwarder runner. */
  dns?: ClusterDns;
  forwarders?: ForwarderRunner;
  /** Starts a relay as the first was started (after the test stopped it) and makes it `relay`. */
  startRelay(): Promise<Relay>;
  stop(): Promise<void>;
}

export async function startSystem(o: SystemOptions): Promise<System> {
  const { cluster } = o;
  const dir = await mkdtemp(join(tmpdir(), `machinelet-${cluster}-`));
  const app = `fks-${cluster}`;
  const secret = o.relaySecret ?? `${cluster}-relay-secret`;
  const statusToken = o.statusToken ?? `${cluster}-status-token`;
  const flyToken = o.flyToken ?? `${cluster}-token`;
  const closers: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true }), async () => explainTimeouts(undefined)];
  const tail: string[] = [];
  const stop = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  };
  try {
    const emulator = await startEmulator({ tokens: [flyToken], apps: [app], config: { bootMs: 50, transitionMs: 50, ...(o.imagePorts ? { imagePorts: o.imagePorts } : {}) }, loopback: o.podNetwork ?? o.services ?? false });
    closers.push(() => emulator.close());
    const forwarders = o.services ? startForwarderRunner({ emulatorUrl: emulator.url, intervalMs: 200 }) : undefined;
    if (forwarders) closers.push(() => forwarders.stop());
    const worker = await startWorkerProcess({
      port: await freePort(),
      persistTo: join(dir, "worker-state"),
      vars: {
        MACHINES_API_URL: emulator.url,
        FLY_API_URL: emulator.url,
        FLY_API_TOKEN: flyToken,
        RELAY_SECRET: secret,
        STATUS_TOKEN: statusToken,
        CLUSTERS: cluster,
        RECONCILE_INTERVAL_S: "2",
        ...o.workerVars,
      },
      onLine: (line) => {
        // The relay's health checks and feed polls would crowd out what the worker decided.
        if (!QUIET.test(line)) tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
        o.onWorkerLine?.(line);
      },
    });
    closers.push(() => worker.stop());
    const kubeconfigPath = join(dir, "kubeconfig");
    // Every pod tolerates the relay's virtual-node taint (PodTolerationRestriction's cluster default).
    const k8s = await startK8sStandin({ defaultTolerations: [VIRTUAL_NODE_TOLERATION], kubeconfigPath, serviceFamily: "IPv6" });
    closers.push(() => k8s.close());
    const kubeletClientCaFile = join(dir, "kubelet-client-ca.crt");
    await writeFile(kubeletClientCaFile, k8s.kubeletClientCa);
    const relayOptions: RelayOptions = {
      kubeconfigPath,
      workerUrl: worker.url,
      cluster,
      relaySecret: secret,
      nodeName: app,
      nodeAddress: "127.0.0.1",
      kubeletBindAddress: "127.0.0.1",
      kubeletPort: 0,
      kubeletClientCaFile,
      metricsPort: 0,
      metricsHost: "127.0.0.1",
      leaseIntervalMs: 300,
      nodeStatusIntervalMs: 1000,
      healthIntervalMs: 300,
      feedWaitSeconds: 2,
      ...(o.podNetwork || o.services ? { portForward: `emulator:${emulator.url}` } : {}),
      ...o.relay,
    };
    const log = o.relayLog ?? createLogger({ level: "warn" });
    const kc = new KubeConfig();
    kc.loadFromString(k8s.kubeconfig);
    let dns: ClusterDns | undefined;
    if (o.services) {
      dns = await startClusterDns({ kubeconfigPath, host: "127.0.0.1", port: 0, upstream: hostUpstream(), log: createLogger({ level: "warn" }) });
      closers.push(() => dns!.close());
    }
    const system: System = {
      cluster,
      app,
      flyToken,
      statusToken,
      dir,
      emulator,
      worker,
      k8s,
      relay: await startRelay(relayOptions, { log }),
      kube: new KubeApi(kc, 10_000),
      kubeconfigPath,
      ...(dns ? { dns } : {}),
      ...(forwarders ? { forwarders } : {}),
      startRelay: async () => {
        system.relay = await startRelay(relayOptions, { log });
        return system.relay;
      },
      stop,
    };
    closers.push(() => system.relay.stop());
    // A wait that times out in this test file says what the worker last did and which passes it ran.
    explainTimeouts(async () => {
      const view = await fetch(`${worker.url}/ui/clusters/${cluster}/view.json`, { headers: { authorization: `Bearer ${statusToken}` } })
        .then(async (r) => JSON.stringify(((await r.json()) as { passes?: unknown[] }).passes?.slice(0, 8)))
        .catch((e: unknown) => String(e));
      return `the worker's last ${tail.length} lines:\n${tail.join("\n")}\nits last reconcile passes: ${view}`;
    });
    return system;
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Names outside the cluster go where the host's resolver goes (a closed port where it names none). */
function hostUpstream(): Upstream {
  try {
    return systemUpstream();
  } catch {
    return { host: "127.0.0.1", port: 9 };
  }
}
