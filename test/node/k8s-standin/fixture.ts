/**
 * Shared set-up for the K8s stand-in tests: a stand-in on a free loopback port, a client-node
 * KubeConfig for it, and a raw HTTPS helper for checking wire-level details (Status bodies, headers).
 */
import { request } from "node:https";
import { CoordinationV1Api, CoreV1Api, KubeConfig, Watch } from "@kubernetes/client-node";
import type { K8sStandin, K8sStandinOptions } from "../../../src/k8s/standin/server";
import { startK8sStandin } from "../../../src/k8s/standin/server";

export interface Fixture {
  standin: K8sStandin;
  kc: KubeConfig;
  core: CoreV1Api;
  coord: CoordinationV1Api;
}

export async function startFixture(options: K8sStandinOptions = {}): Promise<Fixture> {
  const standin = await startK8sStandin({ port: 0, ...options });
  const kc = new KubeConfig();
  kc.loadFromString(standin.kubeconfig);
  return { standin, kc, core: kc.makeApiClient(CoreV1Api), coord: kc.makeApiClient(CoordinationV1Api) };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json(): any;
}

/** One HTTPS request to the stand-in, trusting its CA; sends its token unless `token` is given. */
export function raw(
  standin: K8sStandin,
  method: string,
  path: string,
  options: { body?: unknown; contentType?: string; token?: string | null; accept?: string } = {},
): Promise<RawResponse> {
  const url = new URL(path, standin.url);
  const payload = options.body === undefined ? undefined : typeof options.body === "string" ? options.body : JSON.stringify(options.body);
  const headers: Record<string, string> = { Accept: options.accept ?? "application/json" };
  const token = options.token === undefined ? standin.token : options.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  if (payload !== undefined) {
    headers["Content-Type"] = options.contentType ?? "application/json";
    headers["Content-Length"] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, ca: standin.ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(payload);
  });
}

export interface WatchEvent {
  type: string;
  object: any;
}

/** Collects the events of a client-node Watch on `path` until closed. */
export class EventLog {
  readonly events: WatchEvent[] = [];
  done = false;
  doneError: unknown;
  private controller: AbortController | undefined;
  private waiters: Array<() => void> = [];

  static async open(kc: KubeConfig, path: string, query: Record<string, string | number | boolean> = {}): Promise<EventLog> {
    const log = new EventLog();
    log.controller = await new Watch(kc).watch(
      path,
      query,
      (type, object) => {
        log.events.push({ type, object });
        log.wake();
      },
      (err) => {
        log.done = true;
        log.doneError = err;
        log.wake();
      },
    );
    return log;
  }

  /** Resolves once `predicate` holds over the events so far (checked on every event), or rejects after `ms`. */
  async until(predicate: (events: WatchEvent[]) => boolean, ms = 3000): Promise<WatchEvent[]> {
    const deadline = Date.now() + ms;
    while (!predicate(this.events)) {
      if (this.done) throw new Error(`watch ended before the condition held; events: ${JSON.stringify(this.summary())}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting on watch events; got ${JSON.stringify(this.summary())}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.events;
  }

  async untilDone(ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.done) {
      if (Date.now() > deadline) throw new Error("the watch did not end");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  summary(): string[] {
    return this.events.map((e) => `${e.type} ${e.object?.metadata?.name ?? ""}@${e.object?.metadata?.resourceVersion ?? ""}`);
  }

  close(): void {
    this.controller?.abort();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** Polls `check` until it returns a value (not undefined) or `ms` pass. */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, ms = 3000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const podSpec = (image = "nginx:1.27") => ({ containers: [{ name: "main", image }] });

/** Pods the fake kubelet finishes: the exit code it gives their containers once Running. */
export const EXIT_CODE_ANNOTATION = "test.machinelet.dev/exit-code";

/**
 * A kubelet for controller tests, over HTTP like the relay: registers `node` (with `taints`), runs
 * each pod bound to it (Running, Ready, an IP), finishes pods annotated with an exit code
 * (Succeeded for 0, else Failed), and completes graceful deletions at once.
 */
export async function startFakeKubelet(standin: K8sStandin, node: string, taints: unknown[] = []): Promise<() => void> {
  const created = await raw(standin, "POST", "/api/v1/nodes", { body: { metadata: { name: node, labels: { "kubernetes.io/hostname": node, type: "virtual-kubelet" } }, spec: { taints } } });
  if (created.status !== 201) throw new Error(`node registration failed: ${created.body}`);
  let stopped = false;
  let ip = 0;
  const now = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const tick = async (): Promise<void> => {
    const pods = (await raw(standin, "GET", `/api/v1/pods?fieldSelector=spec.nodeName=${node}`)).json().items as any[];
    for (const pod of pods) {
      const path = `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`;
      const patchStatus = (status: unknown) => raw(standin, "PATCH", `${path}/status`, { body: { status }, contentType: "application/merge-patch+json" });
      const names: string[] = pod.spec.containers.map((c: any) => c.name);
      if (pod.metadata.deletionTimestamp) {
        await raw(standin, "DELETE", path, { body: { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } } });
      } else if (pod.status.phase === "Pending") {
        ip += 1;
        await patchStatus({
          phase: "Running",
          podIP: `10.42.${ip >> 8}.${ip & 255}`,
          podIPs: [{ ip: `10.42.${ip >> 8}.${ip & 255}` }],
          conditions: [{ type: "Ready", status: "True", lastTransitionTime: now() }],
          containerStatuses: names.map((name) => ({ name, ready: true, restartCount: 0, image: "img", imageID: "", state: { running: { startedAt: now() } } })),
        });
      } else if (pod.status.phase === "Running" && pod.metadata.annotations?.[EXIT_CODE_ANNOTATION] !== undefined) {
        const exitCode = Number(pod.metadata.annotations[EXIT_CODE_ANNOTATION]);
        await patchStatus({
          phase: exitCode === 0 ? "Succeeded" : "Failed",
          conditions: [{ type: "Ready", status: "False", lastTransitionTime: now() }],
          containerStatuses: names.map((name) => ({ name, ready: false, restartCount: 0, image: "img", imageID: "", state: { terminated: { exitCode, reason: exitCode === 0 ? "Completed" : "Error", finishedAt: now() } } })),
        });
      }
    }
  };
  const loop = async (): Promise<void> => {
    while (!stopped) {
      await tick().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  void loop();
  return () => {
    stopped = true;
  };
}
