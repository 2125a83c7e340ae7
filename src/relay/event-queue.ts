/**
 * The relay's pending watch events, coalesced per object (kind + UID): only the latest state of
 * an object matters to the worker, so a newer event replaces an older one in place, except that
 * a DELETED is never replaced (a UID never comes back). ADDED/MODIFIED entries point at objects
 * the informer caches hold anyway; only DELETED entries hold objects nothing else keeps, so they
 * are the ones capped.
 */
import type { WatchEvent as WireEvent, WatchEventType } from "../shared/contract";
import type { KubeObject } from "./kube-api";

export type EventType = WatchEventType;
/** A watch event as the relay queues and sends it (contract: POST /events). */
export type WatchEvent = WireEvent<KubeObject>;

export function eventKey(object: KubeObject): string {
  const m = object.metadata;
  return m.uid ? `${object.kind}/${m.uid}` : `${object.kind}/${m.namespace ?? ""}/${m.name ?? ""}`;
}

export interface Batch {
  events: WatchEvent[];
  /** `{"events":[...]}` exactly as it is sent and signed. */
  body: string;
}

/** The events body's bytes around the events: `{"events":[` and `]}`. */
const ENVELOPE_BYTES = Buffer.byteLength('{"events":[]}');

export class EventQueue {
  private pending = new Map<string, WatchEvent>();
  private deletes = 0;

  constructor(private readonly maxPendingDeletes: number) {}

  get size(): number {
    return this.pending.size;
  }

  /**
   * Adds an event; returns false when a pending DELETED had to be dropped to stay within the
   * cap (the caller must then send a snapshot, which deletes what is gone).
   */
  push(ev: WatchEvent): boolean {
    const key = eventKey(ev.object);
    const prev = this.pending.get(key);
    if (prev?.type === "DELETED") return true;
    const type = prev?.type === "ADDED" && ev.type === "MODIFIED" ? "ADDED" : ev.type;
    this.pending.set(key, { type, object: ev.object });
    if (type === "DELETED") this.deletes++;
    if (this.deletes <= this.maxPendingDeletes) return true;
    for (const [k, e] of this.pending) {
      if (e.type !== "DELETED") continue;
      this.pending.delete(k);
      this.deletes--;
      break;
    }
    return false;
  }

  /**
   * Removes the oldest events that fit in one request (at most `maxEvents` and `maxBytes` of body).
   * An event too large to ever fit comes back alone in `oversized` instead.
   */
  take(maxEvents: number, maxBytes: number): { batch?: Batch; oversized?: WatchEvent } {
    const events: WatchEvent[] = [];
    const parts: string[] = [];
    let bytes = ENVELOPE_BYTES;
    for (const [key, ev] of this.pending) {
      if (events.length >= maxEvents) break;
      const json = JSON.stringify(ev);
      const size = Buffer.byteLength(json) + (parts.length ? 1 : 0);
      if (bytes + size > maxBytes) {
        if (events.length > 0) break;
        this.remove(key, ev);
        return { oversized: ev };
      }
      bytes += size;
      events.push(ev);
      parts.push(json);
      this.remove(key, ev);
    }
    if (events.length === 0) return {};
    return { batch: { events, body: `{"events":[${parts.join(",")}]}` } };
  }

  /** Puts a batch that failed back in front, except where a newer event for the same object arrived meanwhile. */
  requeue(events: readonly WatchEvent[]): void {
    const merged = new Map<string, WatchEvent>();
    for (const ev of events) {
      const key = eventKey(ev.object);
      const newer = this.pending.get(key);
      if (newer && ev.type !== "DELETED") continue;
      if (newer) this.remove(key, newer);
      merged.set(key, ev);
      if (ev.type === "DELETED") this.deletes++;
    }
    for (const [k, e] of this.pending) merged.set(k, e);
    this.pending = merged;
  }

  private remove(key: string, ev: WatchEvent): void {
    this.pending.delete(key);
    if (ev.type === "DELETED") this.deletes--;
  }
}
