import type { PodView } from "../../shared/contract";
import type { ClusterState, CounterSample, PodRecord } from "./state";

/** A pod as `GET /pods/{uid}` answers it (the contract's view). */
export function podViewOf(rec: PodRecord): PodView {
  return {
    uid: rec.uid,
    namespace: rec.namespace,
    name: rec.name,
    machineId: rec.machineId,
    machineState: rec.machineState,
    status: (rec.status as Record<string, unknown> | null) ?? null,
  };
}

/** The cluster's counters (kept across eviction) and the status feed's lag, for `/metrics`. */
export function opsMetricsOf(state: ClusterState, now: number): { counters: CounterSample[]; feedLagSeconds: number } {
  const oldest = state.feed.oldestPendingAt();
  return { counters: state.ops.counters(), feedLagSeconds: oldest === undefined ? 0 : Math.max(0, (now - oldest) / 1000) };
}
