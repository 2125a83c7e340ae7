/**
 * Keeps the virtual Node alive as a kubelet does: registers it (status included), renews its
 * Lease in kube-node-lease every `leaseIntervalMs`, patches its status (Ready heartbeat) every
 * `nodeStatusIntervalMs` and at once when readiness changes. A Node deleted behind our back is
 * registered again.
 */
import { Backoff, sleep, type BackoffPolicy } from "./backoff";
import { isStatus, type KubeApi, type KubeObject } from "./kube-api";
import { errorMessage, type Logger } from "./log";
import type { RelayMetrics } from "./metrics";
import { LEASE_NAMESPACE, mergeTaints, newNode, nodeLabels, nodeStatus, renewedLease, type LeaseObject, type NodeSettings, type Readiness } from "./node-object";
import { STRATEGIC_MERGE_PATCH } from "./pod-status-patch";
import type { Taint } from "./config";

export interface NodeHeartbeatOptions {
  api: KubeApi;
  log: Logger;
  settings: NodeSettings;
  leaseIntervalMs: number;
  leaseDurationSeconds: number;
  metrics?: RelayMetrics;
  nodeStatusIntervalMs: number;
  backoff: BackoffPolicy;
}

const MERGE_PATCH = "application/merge-patch+json";

export class NodeHeartbeat {
  private readonly abort = new AbortController();
  private readonly backoff: Backoff;
  private readonly leaseBackoff: Backoff;
  private readiness: Readiness;
  private nodeUid: string | undefined;
  private lease: LeaseObject | undefined;
  private statusDirty = false;
  private nextLeaseAt = 0;
  private nextStatusAt = 0;
  private wake = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly nodePath: string;
  private readonly leasePath: string;

  constructor(private readonly opts: NodeHeartbeatOptions) {
    this.backoff = new Backoff(opts.backoff);
    this.leaseBackoff = new Backoff(opts.backoff);
    const now = new Date();
    this.readiness = { ready: true, since: now, startedAt: now };
    this.nodePath = `/api/v1/nodes/${opts.settings.nodeName}`;
    this.leasePath = `/apis/coordination.k8s.io/v1/namespaces/${LEASE_NAMESPACE}/leases`;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.wake.abort();
    await this.loop;
  }

  get registered(): boolean {
    return this.nodeUid !== undefined;
  }

  get ready(): boolean {
    return this.readiness.ready;
  }

  /** Marks the node Ready or NotReady (with why); a change is written at once. */
  setReady(ready: boolean, message?: string): void {
    if (ready === this.readiness.ready) return;
    this.readiness = { ...this.readiness, ready, message, since: new Date() };
    this.opts.log.info(ready ? "node Ready" : "node NotReady", { node: this.opts.settings.nodeName, ...(message ? { message } : {}) });
    this.statusDirty = true;
    this.wake.abort();
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (!this.nodeUid) {
        try {
          await this.register();
          this.backoff.reset();
        } catch (e) {
          if (this.stopped) break;
          const delay = this.backoff.next();
          this.opts.log.warn("node registration failed, will retry", { node: this.opts.settings.nodeName, error: errorMessage(e), delayMs: Math.round(delay) });
          await sleep(delay, this.abort.signal);
          continue;
        }
      }
      const now = Date.now();
      if (now >= this.nextLeaseAt) await this.renewLease();
      if (this.statusDirty || now >= this.nextStatusAt) await this.patchStatus();
      this.wake = new AbortController();
      if (this.statusDirty) continue;
      await sleep(Math.max(0, Math.min(this.nextLeaseAt, this.nextStatusAt) - Date.now()), AbortSignal.any([this.abort.signal, this.wake.signal]));
    }
  }

  private async register(): Promise<void> {
    const name = this.opts.settings.nodeName;
    let node: KubeObject;
    try {
      node = await this.opts.api.request<KubeObject>("POST", "/api/v1/nodes", { body: newNode(this.opts.settings, this.readiness, new Date()), signal: this.abort.signal });
      this.opts.log.info("node registered", { node: name, uid: node.metadata.uid });
    } catch (e) {
      if (!isStatus(e, 409)) throw e;
      const existing = await this.opts.api.request<KubeObject & { spec?: { taints?: Taint[] } }>("GET", this.nodePath, { signal: this.abort.signal });
      node = await this.opts.api.request<KubeObject>("PATCH", this.nodePath, {
        body: { metadata: { labels: nodeLabels(name) }, spec: { taints: mergeTaints(existing.spec?.taints ?? [], this.opts.settings.nodeTaint) } },
        contentType: MERGE_PATCH,
        signal: this.abort.signal,
      });
      this.statusDirty = true;
      this.opts.log.info("node already registered, labels and taints updated", { node: name, uid: node.metadata.uid });
    }
    this.nodeUid = node.metadata.uid;
    this.nextLeaseAt = 0;
    this.nextStatusAt = Date.now() + this.opts.nodeStatusIntervalMs;
  }

  private async renewLease(): Promise<void> {
    const { nodeName } = this.opts.settings;
    try {
      const existing = this.lease ?? (await this.getLease());
      const body = renewedLease(nodeName, this.nodeUid!, this.opts.leaseDurationSeconds, new Date(), existing);
      this.lease = existing
        ? await this.opts.api.request<LeaseObject>("PUT", `${this.leasePath}/${nodeName}`, { body, signal: this.abort.signal })
        : await this.opts.api.request<LeaseObject>("POST", this.leasePath, { body, signal: this.abort.signal });
      this.leaseBackoff.reset();
      this.opts.metrics?.leaseRenewals.inc({ result: "ok" });
      this.nextLeaseAt = Date.now() + this.opts.leaseIntervalMs;
      this.opts.log.debug("lease renewed", { node: nodeName, renewTime: this.lease.spec.renewTime });
    } catch (e) {
      if (this.stopped) return;
      // 409: someone else wrote it (stale resourceVersion); 404: deleted. Either way, read it again.
      this.lease = undefined;
      const delay = Math.min(this.leaseBackoff.next(), this.opts.leaseIntervalMs);
      this.nextLeaseAt = Date.now() + delay;
      this.opts.metrics?.leaseRenewals.inc({ result: "failed" });
      this.opts.log.warn("lease renewal failed, will retry", { node: nodeName, error: errorMessage(e), delayMs: Math.round(delay) });
    }
  }

  private async getLease(): Promise<LeaseObject | undefined> {
    try {
      return await this.opts.api.request<LeaseObject>("GET", `${this.leasePath}/${this.opts.settings.nodeName}`, { signal: this.abort.signal });
    } catch (e) {
      if (isStatus(e, 404)) return undefined;
      throw e;
    }
  }

  private async patchStatus(): Promise<void> {
    this.statusDirty = false;
    try {
      await this.opts.api.request("PATCH", `${this.nodePath}/status`, {
        body: { status: nodeStatus(this.opts.settings, this.readiness, new Date()) },
        contentType: STRATEGIC_MERGE_PATCH,
        signal: this.abort.signal,
      });
      this.nextStatusAt = Date.now() + this.opts.nodeStatusIntervalMs;
      this.opts.log.debug("node status written", { node: this.opts.settings.nodeName, ready: this.readiness.ready });
    } catch (e) {
      if (this.stopped) return;
      if (isStatus(e, 404)) {
        this.opts.log.warn("node is gone, registering it again", { node: this.opts.settings.nodeName });
        this.nodeUid = undefined;
        this.lease = undefined;
        return;
      }
      const delay = Math.min(this.backoff.next(), this.opts.nodeStatusIntervalMs);
      this.nextStatusAt = Date.now() + delay;
      this.opts.log.warn("node status write failed, will retry", { node: this.opts.settings.nodeName, error: errorMessage(e), delayMs: Math.round(delay) });
    }
  }
}
