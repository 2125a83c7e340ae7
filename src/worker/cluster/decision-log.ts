import { logLine, type LogLevel, type LogWrite } from "../log";
import type { DecisionView } from "../ops/status-view";
import type { OpsStore } from "./state";

/**
 * A decision that changed the world or explains why it did not: created machine M for pod P,
 * updated because the config hash changed, destroyed an orphan, refused a pod, retrying after a
 * 503. `reason` says why in words a person acts on; never a secret value.
 */
export interface Decision {
  action: string;
  outcome: "done" | "failed" | "retry" | "waiting" | "blocked" | "refused" | "scheduled";
  reason: string;
  pod?: { uid: string; namespace: string; name: string };
  machine?: string | null;
  durationMs?: number;
}

/** Adoptions explained one by one; beyond them (state lost, thousands found) one summary says how many. */
export const ADOPTIONS_DETAILED = 10;

/** After the first ADOPTIONS_DETAILED adoptions (each explained), one decision for the rest. */
export function adoptionSummary(adopted: number): Decision | undefined {
  if (adopted <= ADOPTIONS_DETAILED) return undefined;
  return { action: "adopt", outcome: "done", reason: `found ${adopted - ADOPTIONS_DETAILED} more pods' machines (${adopted} in all) that no step had recorded, as after a loss of state` };
}

/** The pod a decision is about, as the log and the page name it. */
export const podIds = (p: { uid: string; namespace: string; name: string }) => ({ uid: p.uid, namespace: p.namespace, name: p.name });

const LEVEL: Record<Decision["outcome"], LogLevel> = { done: "info", scheduled: "info", blocked: "info", waiting: "debug", retry: "warn", failed: "warn", refused: "warn" };

/**
 * Records each decision three ways: one JSON log line (`msg: "decision"`, with cluster,
 * namespace, pod, uid, machine, action, reason, outcome, durationMs), the status page's recent
 * decisions, and the `machinelet_decisions_total` counter. Waiting for rate budget is logged at
 * debug only and not kept: it recurs every step of a burst.
 */
export class DecisionLog {
  constructor(
    private readonly ops: OpsStore,
    private readonly cluster: () => string | undefined,
    private readonly level: LogLevel,
    private readonly now: () => number,
    private readonly write?: LogWrite,
  ) {}

  record(d: Decision): void {
    const at = this.now();
    const view: DecisionView = {
      at: new Date(at).toISOString(),
      action: d.action,
      outcome: d.outcome,
      reason: d.reason,
      namespace: d.pod?.namespace ?? null,
      pod: d.pod?.name ?? null,
      machine: d.machine ?? null,
      durationMs: d.durationMs ?? null,
    };
    logLine(this.level, LEVEL[d.outcome], "decision", { cluster: this.cluster(), ...view, uid: d.pod?.uid ?? null, at: undefined }, this.write);
    if (d.outcome === "waiting") return;
    this.ops.addDecision(view, at);
    this.ops.add("machinelet_decisions_total", { action: d.action, outcome: d.outcome });
  }
}
