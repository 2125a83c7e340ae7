/**
 * `npm run staging`: the whole system on loopback, per the contract's "Staging" section.
 * Starts the Machines emulator, the worker in workerd (wrangler dev), the K8s stand-in and the
 * relay as virtual node `fks-staging`; prints `staging ready` once all of them answer, and stops
 * everything on Ctrl-C.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ensurePortFree } from "../src/dev/port-check";
import { prepareStagingCluster } from "../src/dev/staging-cluster";
import { startWorkerProcess } from "../src/dev/worker-process";
import { startForwarderRunner } from "../src/dev/forwarder-runner";
import { startClusterDns } from "../src/dns/cluster-dns";
import { systemUpstream } from "../src/dns/upstream";
import { startEmulator } from "../src/emulator/server";
import { startK8sStandin } from "../src/k8s/standin/server";
import { createLogger, type LogLevel } from "../src/relay/log";
import { startRelay } from "../src/relay/relay";
import { StagingLogs } from "./staging-logs";

const MACHINES_PORT = Number(process.env.MACHINELET_MACHINES_PORT ?? 4280);
const WORKER_PORT = Number(process.env.MACHINELET_WORKER_PORT ?? 8787);
const K8S_PORT = Number(process.env.MACHINELET_K8S_PORT ?? 6443);
const KUBELET_PORT = Number(process.env.MACHINELET_KUBELET_PORT ?? 10250);
const DNS_PORT = Number(process.env.MACHINELET_DNS_PORT ?? 5353);
const RELAY_METRICS_PORT = Number(process.env.MACHINELET_RELAY_METRICS_PORT ?? 9464);
/** Where staging keeps its kubeconfig and the worker's state; tests move it. */
const STAGING_DIR = process.env.MACHINELET_STAGING_DIR ?? ".staging";
const KUBECONFIG = join(STAGING_DIR, "kubeconfig");
const WORKER_STATE = join(STAGING_DIR, "worker-state");
/** The CA of the stand-in's kubelet client certificate: what the relay's kubelet API lets in. */
const KUBELET_CLIENT_CA = join(STAGING_DIR, "kubelet-client-ca.crt");
const LOG_LEVEL: LogLevel = (["debug", "info", "warn", "error"] as const).find((l) => l === process.env.LOG_LEVEL) ?? "info";
const STAGING = {
  cluster: "staging",
  app: "fks-staging",
  token: "staging-token",
  relaySecret: "staging-relay-secret",
  statusToken: "staging-status-token",
  node: "fks-staging",
};

const logs = new StagingLogs(join(STAGING_DIR, "logs"));
const say = logs.sink("staging");
const closers: Array<() => Promise<void>> = [() => logs.close()];
let stopping = false;

async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    say("stopping");
    for (const close of closers.reverse()) await close().catch(() => undefined);
  }
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));

async function main(): Promise<void> {
  // Every part of staging keeps its state in memory, so the worker starts empty too.
  rmSync(WORKER_STATE, { recursive: true, force: true });
  mkdirSync(STAGING_DIR, { recursive: true });
  await ensurePortFree(MACHINES_PORT, "MACHINELET_MACHINES_PORT", "machines emulator");
  await ensurePortFree(WORKER_PORT, "MACHINELET_WORKER_PORT", "worker");
  await ensurePortFree(K8S_PORT, "MACHINELET_K8S_PORT", "K8s stand-in");
  await ensurePortFree(RELAY_METRICS_PORT, "MACHINELET_RELAY_METRICS_PORT", "relay metrics");
  await ensurePortFree(KUBELET_PORT, "MACHINELET_KUBELET_PORT", "relay kubelet API");
  await ensurePortFree(DNS_PORT, "MACHINELET_DNS_PORT", "cluster DNS");
  // nginx listens on 80 (its EXPOSE), so `kubectl port-forward` to a staging nginx pod reaches a listener.
  const emulator = await startEmulator({ port: MACHINES_PORT, tokens: [STAGING.token], apps: [STAGING.app], loopback: true, config: { imagePorts: { nginx: [80] } } });
  closers.push(() => emulator.close());
  say(`machines emulator on ${emulator.url} (token ${STAGING.token}, app ${STAGING.app})`);
  // Service forwarder machines run the real forwarder program, wired through the emulator's loopback network.
  const forwarders = startForwarderRunner({ emulatorUrl: emulator.url });
  closers.push(() => forwarders.stop());

  const worker = await startWorkerProcess({
    port: WORKER_PORT,
    persistTo: WORKER_STATE,
    onLine: logs.sink("worker"),
    vars: {
      MACHINES_API_URL: emulator.url,
      FLY_API_URL: emulator.url,
      FLY_API_TOKEN: STAGING.token,
      RELAY_SECRET: STAGING.relaySecret,
      STATUS_TOKEN: STAGING.statusToken,
      CLUSTERS: STAGING.cluster,
      LOG_LEVEL,
      ...(process.env.RECONCILE_INTERVAL_S ? { RECONCILE_INTERVAL_S: process.env.RECONCILE_INTERVAL_S } : {}),
    },
  });
  closers.push(() => worker.stop());
  void worker.exited.then((code) => {
    say(`worker (wrangler dev) exited with ${code}`);
    void stop(1);
  });
  say(`worker on ${worker.url} (cluster ${STAGING.cluster}, RELAY_SECRET=${STAGING.relaySecret})`);
  say(`status page ${worker.url}/ui/clusters/${STAGING.cluster} (STATUS_TOKEN=${STAGING.statusToken})`);

  const k8s = await startK8sStandin({ port: K8S_PORT, kubeconfigPath: KUBECONFIG, kubeletClientCaPath: KUBELET_CLIENT_CA, serviceFamily: "IPv6" });
  closers.push(() => k8s.close());
  say(`k8s stand-in on ${k8s.url} (kubeconfig ${KUBECONFIG})`);
  const cluster = await prepareStagingCluster(k8s.kubeconfig, { workerUrl: worker.url, cluster: STAGING.cluster, namespace: "default" });
  closers.push(() => cluster.close());
  say(`namespace default tolerates the virtual node; admission webhook ${cluster.admissionUrl}`);

  const relay = await startRelay({
    kubeconfigPath: KUBECONFIG,
    workerUrl: worker.url,
    cluster: STAGING.cluster,
    relaySecret: STAGING.relaySecret,
    nodeName: STAGING.node,
    nodeAddress: "127.0.0.1",
    kubeletBindAddress: "127.0.0.1",
    kubeletPort: KUBELET_PORT,
    kubeletClientCaFile: KUBELET_CLIENT_CA,
    // The emulator's loopback network stands in for 6PN.
    portForward: `emulator:${emulator.url}`,
    metricsPort: RELAY_METRICS_PORT,
    metricsHost: "127.0.0.1",
  }, { log: createLogger({ level: LOG_LEVEL, write: logs.sink("relay"), fields: { component: "relay" } }) });
  closers.push(() => relay.stop());
  const deadline = Date.now() + 60_000;
  while (!(relay.status().nodeReady && relay.status().informersSynced)) {
    if (Date.now() > deadline) throw new Error(`relay did not become ready: ${JSON.stringify(relay.status())}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  say(`relay joined as node ${STAGING.node} (kubelet API on https://127.0.0.1:${relay.status().kubeletPort}, metrics ${relay.metricsUrl})`);
  const dns = await startClusterDns({ kubeconfigPath: KUBECONFIG, host: "127.0.0.1", port: DNS_PORT, upstream: systemUpstream(), log: createLogger({ level: LOG_LEVEL === "debug" ? "debug" : "warn", write: logs.sink("dns"), fields: { component: "cluster-dns" } }) });
  closers.push(() => dns.close());
  say(`cluster dns on 127.0.0.1:${dns.port} (UDP and TCP, domain cluster.local)`);
  say(`logs in ${logs.dir}/ (LOG_LEVEL=debug shows health checks and feed polls too)`);
  console.log("staging ready");
}

main().catch((e) => {
  say(`staging failed: ${e instanceof Error ? e.message : String(e)}`);
  void stop(1);
});
