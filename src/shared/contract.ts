/**
 * Wire types of the worker's cluster endpoints (../shared/contract.md), shared by the worker,
 * its tests and the benchmarks. Types only: nothing here depends on a runtime.
 */

/** One watch event as the relay sends it (POST /v1/clusters/{cluster}/events). */
export interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED";
  object: unknown;
}

export type Outcome = "applied" | "unchanged" | "queued" | "rejected" | "ignored";

export interface EventResult {
  uid: string;
  kind: string;
  outcome: Outcome;
  message?: string;
}

/** Answer of POST /v1/clusters/{cluster}/reconcile. */
export interface ReconcileCounts {
  /** Live pods found without a machine: creation scheduled. */
  created: number;
  /** Machines whose config or state drifted from their pod: repair scheduled. */
  updated: number;
  /** Pods being deleted whose machine still exists: destroy scheduled. */
  destroyed: number;
  /** Machines of this cluster that no pod owns, destroyed by this pass. */
  orphansDestroyed: number;
  unchanged: number;
}
