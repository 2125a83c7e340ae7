/**
 * Writes core/v1 Events the way client-go's event recorder does (tools/record): one Event per
 * distinct (object, type, reason, message), its `count` and `lastTimestamp` raised when the same
 * event happens again, and a per-object token bucket (burst 25, one more every 5 minutes: the
 * spam filter's defaults) so a flapping pod cannot flood the API server. Unlike client-go, names
 * are deterministic and each Event remembers the last occurrence it counted, so an occurrence
 * delivered twice (the status feed is at least once) is counted once, across relay restarts too.
 */
import { createHash } from "node:crypto";
import { isStatus, type KubeApi, type KubeObject } from "../kube-api";
import { errorMessage, type Logger } from "../log";
import type { Occurrence } from "./pod-occurrences";

/** Annotation holding the `at` of the last occurrence an Event counts. */
export const LAST_OCCURRENCE = "machinelet.fly.io/last-occurrence";
const SPAM_BURST = 25;
const SPAM_REFILL_MS = 300_000;
const CACHE_LIMIT = 10_000;

/** The object an Event is about: a Pod unless `kind` says otherwise (a PersistentVolumeClaim). */
export interface InvolvedPod {
  kind?: string;
  namespace: string;
  name: string;
  uid: string;
}

interface Known {
  count: number;
  lastAt: string;
}

/** Whether occurrence time `at` comes after `last` (a `once` occurrence never does). */
const isNewer = (at: string, last: string | undefined) => last === undefined || (at !== "once" && last !== "once" && at > last);
const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

export function eventName(pod: InvolvedPod, o: Pick<Occurrence, "type" | "reason" | "message" | "fieldPath">): string {
  const digest = createHash("sha256").update([pod.uid, o.type, o.reason, o.fieldPath ?? "", o.message].join("\u0000")).digest("hex").slice(0, 16);
  return `${pod.name.slice(0, 230)}.${digest}`;
}

export class EventRecorder {
  private readonly known = new Map<string, Known>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly opts: { api: KubeApi; log: Logger; nodeName: string; now?: () => number },
  ) {}

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  /** Records `o` for `pod` unless it was already counted; API failures are logged, never thrown (events are best effort). */
  async record(pod: InvolvedPod, o: Occurrence): Promise<void> {
    const name = eventName(pod, o);
    const cached = this.known.get(name);
    if (cached && !isNewer(o.at, cached.lastAt)) return;
    try {
      const existing = cached ?? (await this.lookup(pod.namespace, name));
      if (existing && !isNewer(o.at, existing.lastAt)) return this.remember(name, existing);
      if (!this.takeToken(pod.uid)) {
        this.opts.log.debug("event dropped by the spam filter", { ...pod, reason: o.reason });
        return;
      }
      const written = existing ? await this.bump(pod.namespace, name, existing, o) : await this.create(pod, name, o);
      this.remember(name, written);
    } catch (e) {
      this.opts.log.warn("event not recorded", { namespace: pod.namespace, pod: pod.name, reason: o.reason, error: errorMessage(e) });
    }
  }

  private async lookup(namespace: string, name: string): Promise<Known | undefined> {
    try {
      const ev = await this.opts.api.request<KubeObject & { count?: number }>("GET", `/api/v1/namespaces/${namespace}/events/${name}`);
      const annotations = (ev.metadata.annotations ?? {}) as Record<string, string>;
      return { count: ev.count ?? 1, lastAt: annotations[LAST_OCCURRENCE] ?? "once" };
    } catch (e) {
      if (isStatus(e, 404)) return undefined;
      throw e;
    }
  }

  private timeOf(o: Occurrence): string {
    return o.at === "once" ? rfc3339(this.now()) : o.at;
  }

  private async create(pod: InvolvedPod, name: string, o: Occurrence): Promise<Known> {
    const time = this.timeOf(o);
    const event = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name, namespace: pod.namespace, annotations: { [LAST_OCCURRENCE]: o.at } },
      involvedObject: { apiVersion: "v1", kind: pod.kind ?? "Pod", namespace: pod.namespace, name: pod.name, uid: pod.uid, ...(o.fieldPath ? { fieldPath: o.fieldPath } : {}) },
      reason: o.reason,
      message: o.message,
      type: o.type,
      count: 1,
      firstTimestamp: time,
      lastTimestamp: time,
      eventTime: null,
      source: { component: "machinelet", host: this.opts.nodeName },
      reportingComponent: "machinelet",
      reportingInstance: this.opts.nodeName,
    };
    try {
      await this.opts.api.request("POST", `/api/v1/namespaces/${pod.namespace}/events`, { body: event });
      return { count: 1, lastAt: o.at };
    } catch (e) {
      if (!isStatus(e, 409)) throw e;
      // Written by an earlier run (a repeat delivery, or a restart lost the cache): count it there.
      const existing = await this.lookup(pod.namespace, name);
      if (!existing || !isNewer(o.at, existing.lastAt)) return existing ?? { count: 1, lastAt: o.at };
      return this.bump(pod.namespace, name, existing, o);
    }
  }

  private async bump(namespace: string, name: string, existing: Known, o: Occurrence): Promise<Known> {
    const count = existing.count + 1;
    await this.opts.api.request("PATCH", `/api/v1/namespaces/${namespace}/events/${name}`, {
      body: { count, lastTimestamp: this.timeOf(o), metadata: { annotations: { [LAST_OCCURRENCE]: o.at } } },
      contentType: "application/merge-patch+json",
    });
    return { count, lastAt: o.at };
  }

  private remember(name: string, k: Known): void {
    this.known.delete(name);
    this.known.set(name, k);
    if (this.known.size > CACHE_LIMIT) this.known.delete(this.known.keys().next().value!);
  }

  /** client-go's spam filter: a token bucket per involved object. */
  private takeToken(uid: string): boolean {
    const now = this.now();
    const b = this.buckets.get(uid) ?? { tokens: SPAM_BURST, at: now };
    b.tokens = Math.min(SPAM_BURST, b.tokens + (now - b.at) / SPAM_REFILL_MS);
    b.at = now;
    this.buckets.set(uid, b);
    if (this.buckets.size > CACHE_LIMIT) this.buckets.delete(this.buckets.keys().next().value!);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
