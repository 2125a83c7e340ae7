import { MachinesApiError } from "../../machines/errors";
import type { Machine, MachineConfig } from "../../machines/schemas";
import { MACHINE_METADATA, waitingForBudget, type Problem } from "../translate/machine-facts";
import type { SpareSettings } from "../translate/spare-template";
import { podIds, type Decision } from "./decision-log";
import type { MachinesPort } from "./machines-port";
import { takeSlot, type BudgetAction, type RateBudget } from "./rate-budget";
import type { PodRecord, PodStore, SpareStore } from "./state";

/**
 * What one convergence step works with, and the tools every step uses: calls within the rate
 * budget, recording an answer about a pod's machine, the pod's problem. converge.ts runs a pod,
 * retire.ts ends one, spare-claim.ts serves one from a spare.
 */
export interface ConvergeContext {
  machines: MachinesPort;
  app: string;
  cluster: string;
  pods: PodStore;
  spares: SpareStore;
  /** The cluster-wide spare policy (`SPARES`, `SPARE_TTL`); templates may override it. */
  spareSettings: SpareSettings;
  budget: RateBudget;
  /** In-memory reservations `${uid}:${action}` -> time the reserved budget slot opens. */
  reservations: Map<string, number>;
  now(): number;
  /** Recomputes and publishes the pod's status from its row as just written. */
  refreshStatus(rec: PodRecord | undefined): void;
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

/** How long one `wait` call may block the step (Fly allows up to 60 s). */
export const WAIT_TIMEOUT_S = 10;

export class BudgetWait {
  constructor(readonly ms: number) {}
}

/** Calls `fn` once the budget for `action` on `scope` allows it; otherwise throws a BudgetWait. */
export async function within<T>(ctx: ConvergeContext, rec: PodRecord, action: BudgetAction, scope: string, fn: () => Promise<T>): Promise<T> {
  const waitMs = takeSlot(ctx.budget, ctx.reservations, `${rec.uid}:${action}`, action, scope, ctx.now());
  if (waitMs > 0) {
    ctx.budgetWaited(action, waitMs);
    ctx.decide({ action, outcome: "waiting", reason: `rate budget: ${action} on ${scope} in ${Math.ceil(waitMs / 100) / 10} s`, pod: podIds(rec) });
    setProblem(ctx, rec, waitingForBudget(action, scope === ctx.app ? `app ${scope}` : `machine ${scope}`, waitMs));
    throw new BudgetWait(waitMs);
  }
  try {
    return await fn();
  } catch (e) {
    if (e instanceof MachinesApiError && e.kind === "rate_limited") ctx.budget.drain(action, scope, e.retryAfterMs ?? 1_000);
    throw e;
  }
}

/** A 408 from `wait` only says the machine did not get there yet. */
export function unlessWaitTimedOut(e: unknown): void {
  if (!(e instanceof MachinesApiError && e.kind === "transient" && e.status === 408)) throw e;
}

/** Finds this pod's machine by its metadata (never a machine of another cluster). */
export async function findMachine(ctx: ConvergeContext, rec: PodRecord): Promise<Machine | undefined> {
  const { machines } = await within(ctx, rec, "list", ctx.app, () =>
    ctx.machines.listMachines(ctx.app, { metadata: { [MACHINE_METADATA.cluster]: ctx.cluster, [MACHINE_METADATA.podUid]: rec.uid } }),
  );
  return machines.find((m) => m.state !== "destroyed");
}

/** An answer about the pod's machine: bind and record it (with the config hash it now carries, when known), publish. */
export function record(ctx: ConvergeContext, rec: PodRecord, m: Machine, appliedHash?: string | null): void {
  ctx.refreshStatus(ctx.pods.recordMachine(rec, m, ctx.now(), appliedHash));
}

export function setProblem(ctx: ConvergeContext, rec: PodRecord, problem: Problem | null): void {
  const changed = ctx.pods.setProblem(rec.uid, problem, ctx.now());
  if (changed) ctx.refreshStatus(changed);
}

/** A machine never boots with secret values older than those its pod's translation used. */
export function secretsVersionOf(rec: PodRecord): { min_secrets_version?: number } {
  return rec.minSecretsVersion > 0 ? { min_secrets_version: rec.minSecretsVersion } : {};
}

export function configOf(rec: PodRecord): MachineConfig {
  return rec.config as MachineConfig;
}
