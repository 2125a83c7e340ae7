import type { ClaimView, PodView } from "../../shared/contract";
import type { PersistentVolumeClaim } from "../../shared/k8s";
import { claimView } from "./claim-view";
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

/** The pod's machine for logs and exec, and (taken over from a spare) when the pod's own time on it began (ms). */
export function podMachineOf(rec: PodRecord): { namespace: string; name: string; machineId: string | null; since: number | null } {
  return { namespace: rec.namespace, name: rec.name, machineId: rec.machineId, since: rec.machineSince };
}

/** A claim with the status the PV controller would give it (claim-view.ts); null when not stored. */
export function claimViewOf(state: ClusterState, namespace: string, name: string): ClaimView | null {
  const stored = state.objects.find("PersistentVolumeClaim", namespace, name);
  if (!stored) return null;
  const mounted = state.pods.refs.anyRunnableReferencing("PersistentVolumeClaim", namespace, name);
  return claimView(stored.object as PersistentVolumeClaim, state.claimVolumes.get(stored.uid), mounted);
}
