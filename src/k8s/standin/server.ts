/**
 * The K8s stand-in: a small Kubernetes API server FOR STAGING AND TESTS ONLY, never for production.
 * Faithful enough that @kubernetes/client-node informers and a real kubectl work against it:
 * HTTPS with a self-signed certificate, bearer-token auth, discovery, the core/v1, apps/v1, batch/v1,
 * discovery.k8s.io/v1, admissionregistration.k8s.io/v1 and coordination.k8s.io/v1 kinds (resources.ts),
 * list/watch with resourceVersions, bookmarks and 410 Expired, selectors, patches, graceful
 * deletion, a scheduler, the workload controllers and garbage collection (controllers/). State
 * lives in memory.
 */
import type { IpFamily } from "./service-ips";
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { createServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { dirname } from "node:path";
import { startControllerManager } from "./controllers/controller-manager";
import { AdmittedWrites } from "./admission/admitted-writes";
import type { Toleration } from "./admission/pod-toleration-restriction";
import { podTolerationRestriction } from "./admission/pod-toleration-restriction";
import { storageObjectInUseProtection } from "./admission/storage-object-in-use-protection";
import { WebhookAdmission } from "./admission/webhooks";
import { ADMIN, type UserInfo } from "./authn";
import { kubeconfigFor } from "./kubeconfig";
import { startNamespaceController } from "./namespace-controller";
import { NAMESPACES } from "./namespace-lifecycle";
import { Registry } from "./registry";
import { resourceByKind } from "./resources";
import type { StandinContext } from "./routes";
import { handleRequest, handleUpgrade } from "./routes";
import { createCertificate, createSelfSignedCert } from "../tls/x509";
import { Store } from "./store";

export interface K8sStandinOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Loopback by default. */
  host?: string;
  /**
   * PodTolerationRestriction's cluster default: tolerations added to pods created in namespaces
   * without a `scheduler.alpha.kubernetes.io/defaultTolerations` annotation. Default none.
   */
  defaultTolerations?: readonly Toleration[];
  /** Bearer token clients must send (the admin's, `system:masters`); random when not given. */
  token?: string;
  /** More static tokens and their users (as --token-auth-file): authenticated, and without RBAC forbidden everything. */
  users?: Record<string, UserInfo>;
  /** Where to write a kubeconfig for this server, when given. */
  kubeconfigPath?: string;
  /** Changes kept for watches to resume from; older resourceVersions get 410 Expired. Default 10000. */
  historyLimit?: number;
  /** How often watches with allowWatchBookmarks=true get a BOOKMARK. Default 60 s, like the API server. */
  bookmarkIntervalMs?: number;
  /** Watch duration when the request names no timeoutSeconds. Default 1800 s. */
  defaultWatchTimeoutSeconds?: number;
  /** Where to write the CA of the server's kubelet client certificate (what a kubelet's --client-ca-file holds), when given. */
  kubeletClientCaPath?: string;
  /** The family of the single-stack service CIDR (service-ips.ts): IPv4 (K3s's default) unless given; machinelet's deployment and staging use IPv6. */
  serviceFamily?: IpFamily;
}

export interface K8sStandin {
  /** https://host:port */
  url: string;
  port: number;
  token: string;
  /** PEM of the self-signed certificate clients must trust. */
  ca: string;
  /** The kubeconfig text (also written to kubeconfigPath when given). */
  kubeconfig: string;
  kubeconfigPath?: string;
  /** PEM CA that signed the client certificate the server presents to kubelets. */
  kubeletClientCa: string;
  close(): Promise<void>;
}

const DEFAULT_NAMESPACES = ["default", "kube-system", "kube-node-lease", "kube-public"];

/** What a fresh cluster has: the default namespaces and the `kubernetes` Service. */
function seed(registry: Registry): void {
  for (const name of DEFAULT_NAMESPACES) registry.create(NAMESPACES, undefined, { metadata: { name } });
  registry.create(resourceByKind("Service"), "default", {
    metadata: { name: "kubernetes", labels: { component: "apiserver", provider: "kubernetes" } },
    spec: { clusterIP: registry.serviceIps.first, ports: [{ name: "https", port: 443, protocol: "TCP", targetPort: 6443 }] },
  });
}

export async function startK8sStandin(options: K8sStandinOptions = {}): Promise<K8sStandin> {
  const host = options.host ?? "127.0.0.1";
  const token = options.token ?? randomBytes(24).toString("hex");
  const store = new Store(options.historyLimit ?? 10_000);
  const registry = new Registry(store, [podTolerationRestriction(options.defaultTolerations ?? []), storageObjectInUseProtection], options.serviceFamily);
  seed(registry);
  const { cert, key } = await createSelfSignedCert([...new Set([host, "127.0.0.1", "localhost"])]);

  const writes = new AdmittedWrites(registry, new WebhookAdmission(registry));
  // As kubeadm's apiserver-kubelet-client: CN kube-apiserver-kubelet-client, O system:masters, under a client CA of its own.
  const kubeletCa = await createCertificate({ commonName: "machinelet-standin-kubelet-client-ca", usage: "ca" });
  const kubeletClient = await createCertificate({ commonName: "kube-apiserver-kubelet-client", organizations: ["system:masters"], usage: "client", issuer: kubeletCa });

  const ctx: StandinContext = {
    registry,
    writes,
    store,
    tokens: new Map([...Object.entries(options.users ?? {}), [token, ADMIN]]),
    serverAddress: "",
    watchSettings: {
      bookmarkIntervalMs: options.bookmarkIntervalMs ?? 60_000,
      defaultTimeoutSeconds: options.defaultWatchTimeoutSeconds ?? 1800,
    },
    watches: new Set(),
    kubeletClient: { cert: kubeletClient.cert, key: kubeletClient.key },
  };
  let closing = false;
  const sockets = new Set<Socket>();
  const server = createServer({ cert, key }, (req, res) => {
    // A connection accepted just before close() may still bring a request (e.g. an informer's re-watch).
    if (closing) {
      res.writeHead(503, { Connection: "close" }).end();
      return;
    }
    void handleRequest(ctx, req, res);
  });
  server.on("upgrade", (req, socket, head) => {
    if (closing) socket.destroy();
    else handleUpgrade(ctx, req, socket, head);
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  ctx.serverAddress = `${host}:${port}`;
  const url = `https://${host}:${port}`;

  const stopNamespaceController = startNamespaceController(store, registry);
  const stopControllerManager = startControllerManager(store, writes);

  const kubeconfig = kubeconfigFor(url, cert, token);
  if (options.kubeconfigPath) {
    await mkdir(dirname(options.kubeconfigPath), { recursive: true });
    await writeFile(options.kubeconfigPath, kubeconfig, { mode: 0o600 });
  }
  if (options.kubeletClientCaPath) {
    await mkdir(dirname(options.kubeletClientCaPath), { recursive: true });
    await writeFile(options.kubeletClientCaPath, kubeletCa.cert);
  }

  return {
    url,
    port,
    token,
    ca: cert,
    kubeconfig,
    kubeletClientCa: kubeletCa.cert,
    ...(options.kubeconfigPath ? { kubeconfigPath: options.kubeconfigPath } : {}),
    close: async () => {
      closing = true;
      stopNamespaceController();
      stopControllerManager();
      for (const stop of [...ctx.watches]) stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Every socket, including those still in the TLS handshake that closeAllConnections() does not know.
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
