import type { Machine } from "../../machines/schemas";
import type { Problem } from "../translate/machine-facts";
import { podIds, type Decision } from "./decision-log";
import type { ImagePullBackoff } from "./image-pull-backoff";
import type { MachinesPort } from "./machines-port";
import type { SpareSettings } from "../translate/spare-template";
import { BudgetWait, type BudgetAction, type RateBudget } from "./rate-budget";
import type { PodRecord, PodStore, SpareStore } from "./state";
import type { WaitLanes } from "./wait-lanes";

/**
 * What a convergence step (converge.ts) works with, and the small moves every part of it makes:
 * record an answer, set a problem, forget a vanished machine.
 */
export interface ConvergeContext {
  machines: MachinesPort;
  app: string;
  cluster: string;
  pods: PodStore;
  spares: SpareStore;
  /** The cluster-wide spare policy (`SPARES`, `SPARE_TTL`); templates may override it. */
  spareSettings: SpareSettings;
  /** The cluster's one budget: a pod's step holds its slots under the pod's UID. */
  budget: RateBudget;
  /** The object's `wait` calls open at once are bounded (wait-lanes.ts). */
  waits: WaitLanes;
  /** The kubelet's image pull back-off, per pod (in memory). */
  imagePulls: ImagePullBackoff;
  now(): number;
  /** Recomputes and publishes the pod's status from its row as just written. */
  refreshStatus(rec: PodRecord | undefined): void;
  /** Shows the feed's readers the status of `rec`, a record to be written a turn later (StatusPublisher.showEarly). */
  showStatusEarly(rec: PodRecord): void;
  /** The machine is confirmed gone (or kept as a spare) and the pod is to be forgotten (feed `gone`, tombstone). */
  finish(uid: string): void;
  /** Logs and keeps a decision (decision-log.ts). */
  decide(d: Decision): void;
  /** A call had to wait this long for its rate budget. */
  budgetWaited(action: BudgetAction, ms: number): void;
}

export type StepResult = { next: "done" } | { next: "again"; inMs: number; error?: string; countAttempt?: boolean };

export const DONE: StepResult = { next: "done" };
export const again = (inMs: number, error?: string, countAttempt = false): StepResult => ({ next: "again", inMs, error, countAttempt });

/** Thrown by a call whose rate budget is not there yet: the step is tried again when it is. */
export { BudgetWait };

/** An answer about the pod's machine: bind and record it (with the config hash it now carries, when known), publish. */
export function record(ctx: ConvergeContext, rec: PodRecord, m: Machine, appliedHash?: string | null): void {
  ctx.refreshStatus(ctx.pods.recordMachine(rec, m, ctx.now(), appliedHash));
}

export function setProblem(ctx: ConvergeContext, rec: PodRecord, problem: Problem | null): void {
  const changed = ctx.pods.setProblem(rec.uid, problem, ctx.now());
  if (changed) ctx.refreshStatus(changed);
}

/** The machine is gone although the pod should run: forget it, so the next step creates a new one. */
export function vanished(ctx: ConvergeContext, rec: PodRecord): StepResult {
  ctx.decide({ action: "recreate", outcome: "scheduled", reason: "the pod's machine is gone (destroyed behind our back): a new one will be created", pod: podIds(rec), machine: rec.machineId });
  ctx.refreshStatus(ctx.pods.forgetMachine(rec.uid, ctx.now()));
  return again(0);
}
