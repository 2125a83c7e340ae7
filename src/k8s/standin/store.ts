/**
 * In-memory object store of the K8s stand-in (staging and tests only), etcd-like:
 * one global resourceVersion counter shared by every resource type, a bounded history of changes
 * (watches that start before it get 410 Expired), and synchronous fan-out to watchers in
 * resourceVersion order.
 */
import type { K8sObject } from "./k8s-object";
import { cloneObject, objectKey } from "./k8s-object";

export type ChangeType = "ADDED" | "MODIFIED" | "DELETED";

export interface Change {
  rv: number;
  /** Qualified resource name, e.g. `pods` or `leases.coordination.k8s.io`. */
  resource: string;
  type: ChangeType;
  /** The object after the change; for DELETED, its last state carrying the deletion's resourceVersion. */
  object: K8sObject;
  /** The object before the change (MODIFIED and DELETED). */
  previous?: K8sObject;
}

export type ChangeListener = (change: Change) => void;

/** Thrown by watch() when the requested resourceVersion is older than the retained history. */
export class HistoryExpiredError extends Error {
  constructor(
    readonly requested: number,
    readonly oldestAvailable: number,
  ) {
    super(`too old resource version: ${requested} (${oldestAvailable})`);
  }
}

interface Watcher {
  resource: string;
  listener: ChangeListener;
}

export class Store {
  private rv = 0;
  /** Highest resourceVersion dropped from history: watches must start at or after it. */
  private compactedRV = 0;
  private readonly objects = new Map<string, Map<string, K8sObject>>();
  private readonly history: Change[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly pending: Change[] = [];
  private emitting = false;

  constructor(private readonly historyLimit: number) {
    if (!Number.isInteger(historyLimit) || historyLimit < 1) throw new Error(`historyLimit must be a positive integer, got ${historyLimit}`);
  }

  get resourceVersion(): number {
    return this.rv;
  }

  get(resource: string, namespace: string | undefined, name: string): K8sObject | undefined {
    return this.objects.get(resource)?.get(objectKey(namespace, name));
  }

  /** Objects of one resource (in one namespace when given), sorted by key. */
  list(resource: string, namespace?: string): K8sObject[] {
    const all = [...(this.objects.get(resource)?.entries() ?? [])];
    return all
      .filter(([, obj]) => namespace === undefined || obj.metadata.namespace === namespace)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, obj]) => obj);
  }

  /** Stores a new object, stamping the next resourceVersion; the caller has checked it is absent. */
  create(resource: string, obj: K8sObject): K8sObject {
    const stored = this.stamp(obj);
    this.bucket(resource).set(keyOf(stored), stored);
    this.record({ rv: this.rv, resource, type: "ADDED", object: stored });
    return stored;
  }

  /** Replaces an existing object, stamping the next resourceVersion. */
  update(resource: string, obj: K8sObject): K8sObject {
    const key = keyOf(obj);
    const previous = this.bucket(resource).get(key);
    if (!previous) throw new Error(`store update of missing ${resource} ${key}`);
    const stored = this.stamp(obj);
    this.bucket(resource).set(key, stored);
    this.record({ rv: this.rv, resource, type: "MODIFIED", object: stored, previous });
    return stored;
  }

  /** Removes an object; the DELETED change carries `last` (its final state) with the deletion's resourceVersion. */
  remove(resource: string, last: K8sObject): K8sObject {
    const key = keyOf(last);
    const previous = this.bucket(resource).get(key);
    if (!previous) throw new Error(`store removal of missing ${resource} ${key}`);
    this.bucket(resource).delete(key);
    const final = this.stamp(last);
    this.record({ rv: this.rv, resource, type: "DELETED", object: final, previous });
    return final;
  }

  /**
   * Subscribes to changes of one resource after `fromRV`: retained changes newer than it are
   * replayed synchronously before this returns, then live changes follow in order.
   * Throws HistoryExpiredError when changes after `fromRV` are no longer retained.
   */
  watch(resource: string, fromRV: number, listener: ChangeListener): () => void {
    if (fromRV < this.compactedRV) throw new HistoryExpiredError(fromRV, this.compactedRV + 1);
    // Changes still queued for delivery reach the new watcher through drain(), not the replay.
    const firstQueued = this.pending[0]?.rv ?? Number.POSITIVE_INFINITY;
    for (const change of this.history) {
      if (change.rv > fromRV && change.rv < firstQueued && change.resource === resource) listener(change);
    }
    // A resourceVersion from the future: changes up to it are skipped.
    const watcher: Watcher = {
      resource,
      listener: (change) => {
        if (change.rv > fromRV) listener(change);
      },
    };
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  private bucket(resource: string): Map<string, K8sObject> {
    let bucket = this.objects.get(resource);
    if (!bucket) {
      bucket = new Map();
      this.objects.set(resource, bucket);
    }
    return bucket;
  }

  private stamp(obj: K8sObject): K8sObject {
    this.rv += 1;
    const stamped = cloneObject(obj);
    stamped.metadata.resourceVersion = String(this.rv);
    return stamped;
  }

  private record(change: Change): void {
    this.history.push(change);
    while (this.history.length > this.historyLimit) {
      const dropped = this.history.shift();
      if (dropped) this.compactedRV = dropped.rv;
    }
    this.pending.push(change);
    this.drain();
  }

  /** Delivers queued changes in order, even when a listener writes to the store while being told. */
  private drain(): void {
    if (this.emitting) return;
    this.emitting = true;
    try {
      for (let change = this.pending.shift(); change; change = this.pending.shift()) {
        for (const watcher of [...this.watchers]) {
          if (watcher.resource === change.resource && this.watchers.has(watcher)) watcher.listener(change);
        }
      }
    } finally {
      this.emitting = false;
    }
  }
}

function keyOf(obj: K8sObject): string {
  const name = obj.metadata.name;
  if (!name) throw new Error("stored objects need metadata.name");
  return objectKey(obj.metadata.namespace, name);
}
