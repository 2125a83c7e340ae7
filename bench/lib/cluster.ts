/**
 * The worker's signed cluster endpoints, called as the relay calls them (the relay's own
 * WorkerClient signs every request). Any answer but the expected one throws with its body.
 */
import { WorkerClient } from "../../src/relay/worker-client";
import {
  eventsResponseSchema,
  feedPageSchema,
  podViewSchema,
  reconcileCountsSchema,
  serviceViewSchema,
  type ServiceView,
  type EventResult,
  type FeedPage as WireFeedPage,
  type PodView as WirePodView,
  type ReconcileCounts,
  type Snapshot,
  type WatchEvent,
} from "../../src/shared/contract";
import { sleep } from "./wait";

export type { EventResult, ReconcileCounts, Snapshot, WatchEvent } from "../../src/shared/contract";
export interface PodStatus {
  phase?: string;
  reason?: string;
  message?: string;
}
/** The contract's answers, with the parts of PodStatus the benchmarks read. */
export type PodView = Omit<WirePodView, "status"> & { status: PodStatus | null };
export type FeedPage = Omit<WireFeedPage, "pods"> & { pods: Array<Omit<WireFeedPage["pods"][number], "status"> & { status: PodStatus | null }> };

const TIMEOUT_MS = 300_000;

export class ClusterClient {
  private readonly client: WorkerClient;

  constructor(workerUrl: string, readonly name: string, secret: string) {
    this.client = new WorkerClient(workerUrl, name, secret, TIMEOUT_MS);
  }

  get app(): string {
    return `fks-${this.name}`;
  }

  /** Posts a prepared JSON body `{"events":[...]}` (so a benchmark can reuse one body). */
  async postEventsBody(body: string): Promise<EventResult[]> {
    return eventsResponseSchema.parse(await this.expect200("POST", "/events", body)).results;
  }

  postEvents(events: WatchEvent[]): Promise<EventResult[]> {
    return this.postEventsBody(JSON.stringify({ events }));
  }

  async reconcile(snapshot?: Snapshot<unknown>): Promise<ReconcileCounts> {
    return reconcileCountsSchema.parse(await this.expect200("POST", "/reconcile", JSON.stringify(snapshot ? { snapshot } : {})));
  }

  /**
   * First contact: creates the cluster's Durable Object and its Fly app (a reconcile of the
   * empty cluster), so that later measurements do not include them. Retries while the app
   * cannot be made yet (the emulator's app-create budget is shared by every app).
   */
  async prewarm(attempts = 10): Promise<void> {
    for (let i = 1; ; i++) {
      try {
        await this.reconcile();
        return;
      } catch (e) {
        if (i >= attempts) throw e;
        await sleep(1_100);
      }
    }
  }

  /** `GET /healthz` (unsigned, no Durable Object): the cost of reaching the worker at all. */
  async healthz(): Promise<void> {
    const res = await this.client.healthz();
    if (res.status !== 200) throw new Error(`GET /healthz: ${res.status} ${res.text}`);
  }

  async pod(uid: string): Promise<PodView | undefined> {
    const res = await this.client.signed("GET", `/pods/${uid}`);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new Error(`GET pod ${uid} in ${this.name}: ${res.status} ${res.text}`);
    return podViewSchema.parse(JSON.parse(res.text)) as PodView;
  }

  async service(namespace: string, name: string): Promise<ServiceView | undefined> {
    const res = await this.client.signed("GET", `/services/${namespace}/${name}`);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new Error(`GET service ${namespace}/${name} in ${this.name}: ${res.status} ${res.text}`);
    return serviceViewSchema.parse(JSON.parse(res.text));
  }

  async feed(after: string, waitS: number): Promise<FeedPage> {
    return feedPageSchema.parse(await this.expect200("GET", `/status?after=${after}&wait=${waitS}`, "", waitS * 1000)) as FeedPage;
  }

  private async expect200(method: "GET" | "POST", suffix: string, body: string, extraTimeoutMs = 0): Promise<unknown> {
    const res = await this.client.signed(method, suffix, body, { extraTimeoutMs });
    if (res.status !== 200) throw new Error(`${method} ${suffix} in cluster ${this.name}: ${res.status} ${res.text.slice(0, 500)}`);
    return JSON.parse(res.text);
  }
}
