/**
 * What the status page and `/metrics` show of one cluster: the interface the cluster object
 * fills (one RPC reading its stores) and the page renders. Names only, never a secret value.
 * Times are ISO 8601 strings; `null` means "not known / not applicable".
 */
export const POD_PHASES = ["Pending", "Running", "Succeeded", "Failed", "Unknown"] as const;
export type PodPhase = (typeof POD_PHASES)[number];

export interface ClusterStatusView {
  cluster: string;
  generatedAt: string;
  app: { name: string; ready: boolean; error: string | null };
  pods: PodRowView[];
  waiting: { budgets: BudgetQueueView[]; retries: RetryView[] };
  passes: ReconcilePassView[];
  decisions: DecisionView[];
  services: ServiceView[];
  secrets: SecretUseView[];
  volumes: VolumeView[];
  /** Volumes of this cluster (`pvc_…`) that no live claim owns, as the last volume sweep found them. */
  orphanVolumes: OrphanVolumeView[];
  spares: SpareTemplateView[];
}

export interface PodRowView {
  uid: string;
  namespace: string;
  name: string;
  phase: PodPhase;
  machineId: string | null;
  machineState: string | null;
  region: string | null;
  /** e.g. `shared-cpu-1x, 256 MB`. */
  guest: string | null;
  ipv6: string | null;
  restarts: number;
  /** What keeps the pod from its desired state, as its status says it. */
  problem: { reason: string; message: string } | null;
  createdAt: string | null;
}

/** Calls waiting for a Machines API rate budget, per action. */
export interface BudgetQueueView {
  action: string;
  waiting: number;
  nextSlotAt: string | null;
}

/** A pod whose last step failed and is retried with backoff. */
export interface RetryView {
  uid: string;
  namespace: string;
  pod: string;
  attempts: number;
  nextAttemptAt: string;
  lastError: string;
}

export interface ReconcilePassView {
  pass: number;
  startedAt: string;
  durationMs: number;
  /** Machines API calls the pass made. */
  calls: number;
  repairs: { orphans: number; drift: number; recreated: number; restarted: number };
  error: string | null;
}

/** One decision, as logged (see the README's "Decision logs"). */
export interface DecisionView {
  at: string;
  action: string;
  outcome: string;
  reason: string;
  namespace: string | null;
  pod: string | null;
  machine: string | null;
  durationMs: number | null;
}

export interface ServiceView {
  namespace: string;
  name: string;
  type: string;
  address: string | null;
  backends: number;
  ready: number;
}

/** A Secret pods reference: its name and who uses it, never its data. */
export interface SecretUseView {
  namespace: string;
  name: string;
  pods: number;
}

export interface VolumeView {
  namespace: string;
  claim: string;
  volumeId: string | null;
  sizeGb: number | null;
  region: string | null;
  pod: string | null;
}

export interface OrphanVolumeView {
  volumeId: string;
  name: string;
  /** The deleted claim's UID when its tombstone is known; null: no record of its claim. */
  claimUid: string | null;
  /** unknown, duplicate, retained, attached, releasing (README: Claims). */
  disposition: string;
  machine: string | null;
  since: string;
}

/** A pod template's warm capacity: its policy, its spares now, and what happened to them. */
export interface SpareTemplateView {
  template: string;
  key: string;
  /** Spares it keeps ready (pre-warmed); null: what scale-downs leave, for `ttlS`. */
  count: number | null;
  ttlS: number;
  ready: number;
  /** Being taken over by a pod, or becoming a spare, right now. */
  moving: number;
  created: number;
  parked: number;
  claimed: number;
  expired: number;
}

/** Pods by phase, every phase present (0 when none). */
export function podsByPhase(pods: readonly PodRowView[]): Record<PodPhase, number> {
  const counts = Object.fromEntries(POD_PHASES.map((p) => [p, 0])) as Record<PodPhase, number>;
  for (const p of pods) counts[p.phase]++;
  return counts;
}
