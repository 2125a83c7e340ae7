/**
 * The relay: wires the informers to the forwarder, the status feed to pod status, and the
 * worker's health to the virtual Node's readiness. `startRelay` is the one entry point for
 * main.ts, staging and tests.
 */
import { readFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { createSelfSignedCert } from "../k8s/tls/x509";
import { resolveRelayConfig, type RelayConfig, type RelayOptions } from "./config";
import { fileCursorStore, memoryCursorStore } from "./cursor-store";
import { Forwarder } from "./forwarder";
import { EventRecorder } from "./events/event-recorder";
import { PodEvents } from "./events/pod-events";
import { InformerSet } from "./informer-set";
import { KubeletAuth } from "./kubelet/authn";
import { podDialer } from "./kubelet/pod-dialer";
import { startKubeletServer, type KubeletServer } from "./kubelet/server";
import { KubeApi, loadKubeConfig, type KubeObject } from "./kube-api";
import { createLogger, type Logger } from "./log";
import { RelayMetrics } from "./metrics";
import { startMetricsServer, type MetricsServer } from "./metrics-server";
import { NodeHeartbeat } from "./node-heartbeat";
import { ClaimStatuses } from "./claim-statuses";
import { ServiceAddresses } from "./service-addresses";
import { StatusSync } from "./status-sync";
import { WorkerClient } from "./worker-client";
import { WorkerHealth } from "./worker-health";

export interface RelayStatus {
  informersSynced: boolean;
  workerReachable: boolean;
  nodeRegistered: boolean;
  nodeReady: boolean;
  pendingEvents: number;
  sentEvents: number;
  cursor: string | undefined;
  /** Where the kubelet API listens; undefined when it is not served (no client CA configured). */
  kubeletPort: number | undefined;
  /** Open `logs -f` and exec sessions. */
  kubeletSessions: number;
}

/** `logs -f` polls Fly's logs this often at first, backing off to the max while nothing new arrives. */
const LOG_POLL = { baseMs: 500, maxMs: 5_000 };
/** A Service without its Fly address yet is asked about this often at first, backing off to the max. */
/** How often a Service's address or a claim's status is asked for until written (a claim waits for its first pod, which is no event of its own). */
const WRITE_BACK_POLL = { baseMs: 250, maxMs: 10_000 };

export interface Relay {
  readonly config: RelayConfig;
  readonly metrics: RelayMetrics;
  /** Where Prometheus scrapes the relay; undefined when `metricsPort` is null. */
  readonly metricsUrl: string | undefined;
  status(): RelayStatus;
  /** Stops informers, flushes pending events for up to `shutdownFlushMs`, stops the feed and heartbeats. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts every part of the relay and returns at once; connections to the API server and the
 * worker are retried in the background. Throws only for bad configuration (naming what is wrong)
 * or an unloadable kubeconfig.
 */
export async function startRelay(options: RelayOptions, deps: { log?: Logger } = {}): Promise<Relay> {
  const config = resolveRelayConfig(options);
  const log = deps.log ?? createLogger({ level: config.logLevel });
  const kubeConfig = loadKubeConfig(config);
  const api = new KubeApi(kubeConfig, config.requestTimeoutMs);
  const worker = new WorkerClient(config.workerUrl, config.cluster, config.relaySecret, config.requestTimeoutMs);
  const backoff = { baseMs: config.backoffBaseMs, maxMs: config.backoffMaxMs };
  const nodeAddress = config.nodeAddress ?? hostAddress();
  let informers: InformerSet | undefined;
  const kubelet = await serveKubeletApi(config, { api, nodeAddress, worker, log, cachedPod: (ns, name) => informers?.pod(ns, name) });
  const metrics = new RelayMetrics({ pendingEvents: () => forwarder.stats().pending, kubeletSessions: () => kubelet?.sessions() ?? 0 });
  const metricsServer: MetricsServer | undefined = config.metricsPort === null ? undefined : await startMetricsServer(metrics.registry, config.metricsHost, config.metricsPort);

  const heartbeat = new NodeHeartbeat({
    api,
    log,
    settings: { ...config, nodeAddress, kubeletPort: kubelet?.port ?? config.kubeletPort },
    leaseIntervalMs: config.leaseIntervalMs,
    leaseDurationSeconds: config.leaseDurationSeconds,
    metrics,
    nodeStatusIntervalMs: config.nodeStatusIntervalMs,
    backoff,
  });
  const health = new WorkerHealth({
    worker,
    log,
    intervalMs: config.healthIntervalMs,
    unreachableAfterMs: config.unreachableAfterMs,
    onChange: (reachable, message) => {
      heartbeat.setReady(reachable, message);
      statusSync.setNodeReady(reachable);
    },
  });
  const forwarder: Forwarder = new Forwarder({
    worker,
    log,
    backoff,
    maxPendingDeletes: config.maxPendingDeletes,
    snapshotSource: () => informers!.snapshot(),
    metrics,
  });
  const serviceAddresses = new ServiceAddresses({ worker, api, log: log.child({ component: "service-addresses" }), backoff: WRITE_BACK_POLL });
  const eventRecorder = new EventRecorder({ api, log: log.child({ component: "events" }), nodeName: config.nodeName });
  const podEvents = new PodEvents(eventRecorder);
  const claimStatuses = new ClaimStatuses({ worker, api, log: log.child({ component: "claim-statuses" }), events: eventRecorder, backoff: WRITE_BACK_POLL });
  informers = new InformerSet({
    api,
    log,
    nodeName: config.nodeName,
    namespaces: config.namespaces,
    watchTimeoutSeconds: config.watchTimeoutSeconds,
    watchdogMs: config.watchdogMs,
    listPageSize: config.listPageSize,
    backoff,
    onEvent: (ev) => {
      forwarder.enqueue(ev);
      serviceAddresses.observe(ev);
      claimStatuses.observe(ev);
      if ((ev.object as KubeObject).kind !== "Pod") return;
      statusSync.observePod(ev);
      if (ev.type !== "DELETED") void podEvents.fromPod(ev.object as KubeObject);
    },
    onListed: () => forwarder.requestSnapshot(),
    metrics,
  });
  const statusSync = new StatusSync({
    worker,
    api,
    log,
    cursorStore: config.cursorFile ? fileCursorStore(config.cursorFile) : memoryCursorStore(),
    feedWaitSeconds: config.feedWaitSeconds,
    backoff,
    onFeedAnswer: (ok) => {
      metrics.feedAnswered(ok);
      health.report("feed", ok);
    },
    metrics,
    onEntry: (entry) => podEvents.fromFeed(entry),
    pods: () => informers!.pods(),
  });

  heartbeat.start();
  health.start();
  forwarder.start();
  informers.start();
  statusSync.start();
  serviceAddresses.start();
  claimStatuses.start();
  log.info("relay started", {
    cluster: config.cluster,
    node: config.nodeName,
    worker: new URL(config.workerUrl).origin,
    api: kubeConfig.getCurrentCluster()?.server,
    namespaces: config.namespaces.length ? config.namespaces : "all",
    metrics: metricsServer?.url ?? "off",
  });

  let stopping: Promise<void> | undefined;
  return {
    config,
    metrics,
    metricsUrl: metricsServer?.url,
    status: () => ({
      informersSynced: informers.allSynced,
      workerReachable: health.isReachable,
      nodeRegistered: heartbeat.registered,
      nodeReady: heartbeat.ready,
      pendingEvents: forwarder.stats().pending,
      sentEvents: forwarder.stats().sent,
      cursor: statusSync.currentCursor,
      kubeletPort: kubelet?.port,
      kubeletSessions: kubelet?.sessions() ?? 0,
    }),
    stop: () =>
      (stopping ??= (async () => {
        log.info("relay stopping");
        await informers!.stop();
        await kubelet?.close();
        health.stop();
        await Promise.all([forwarder.stop(config.shutdownFlushMs), statusSync.stop(), serviceAddresses.stop(), claimStatuses.stop()]);
        await heartbeat.stop();
        await metricsServer?.close();
        log.info("relay stopped");
      })()),
  };
}

/** The kubelet API, when a client CA says whom to let in; a self-signed serving certificate unless one is configured. */
async function serveKubeletApi(
  config: RelayConfig,
  deps: { api: KubeApi; nodeAddress: string; worker: WorkerClient; log: Logger; cachedPod: (namespace: string, name: string) => ReturnType<InformerSet["pod"]> },
): Promise<KubeletServer | undefined> {
  if (!config.kubeletClientCaFile) {
    deps.log.warn("no kubelet client CA configured (--kubelet-client-ca): kubectl logs, exec and port-forward are not served");
    return undefined;
  }
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file, "utf8");
    } catch (e) {
      throw new Error(`cannot read the ${what} ${file}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const clientCa = read(config.kubeletClientCaFile, "kubelet client CA");
  const serving =
    config.kubeletTlsCertFile && config.kubeletTlsKeyFile
      ? { cert: read(config.kubeletTlsCertFile, "kubelet serving certificate"), key: read(config.kubeletTlsKeyFile, "kubelet serving key") }
      : await createSelfSignedCert([...new Set([deps.nodeAddress, config.nodeName, "127.0.0.1", "localhost"])].filter((h) => !h.includes(":")), 365, new Date(), config.nodeName);
  const log = deps.log.child({ component: "kubelet-api" });
  const server = await startKubeletServer({
    host: config.kubeletBindAddress,
    port: config.kubeletPort,
    ...serving,
    clientCa,
    auth: new KubeletAuth({ api: deps.api, nodeName: config.nodeName, log }),
    dialer: podDialer(config.portForward),
    nodeName: config.nodeName,
    worker: deps.worker,
    log,
    cachedPod: deps.cachedPod,
    logPoll: LOG_POLL,
  });
  deps.log.info("kubelet API listening", { address: config.kubeletBindAddress, port: server.port });
  return server;
}

/** The first non-internal IPv4 address of this host: the virtual Node's InternalIP by default. */
function hostAddress(): string {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return "127.0.0.1";
}
