import { MachinesApiError } from "../../machines/errors";
import type { Machine, MachineConfig } from "../../machines/schemas";
import { MACHINE_METADATA, waitingForBudget } from "../translate/machine-facts";
import { BudgetWait, setProblem, type ConvergeContext } from "./converge-context";
import { podIds } from "./decision-log";
import { paced, type BudgetAction } from "./rate-budget";
import type { PodRecord } from "./state";

/**
 * The calls every part of a convergence step makes (converge.ts runs a pod, retire.ts ends one,
 * spare-claim.ts serves one from a spare): within the rate budget, and the lookups they share.
 */

/** How long one `wait` call may block the step (Fly allows up to 60 s). */
export const WAIT_TIMEOUT_S = 10;

/** Calls `fn` once the pod's slot for `action` on `scope` is open; otherwise says why the pod waits and throws the BudgetWait. */
export async function within<T>(ctx: ConvergeContext, rec: PodRecord, action: BudgetAction, scope: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await paced(ctx.budget, rec.uid, action, scope, fn);
  } catch (e) {
    if (e instanceof BudgetWait) {
      ctx.budgetWaited(action, e.ms);
      ctx.decide({ action, outcome: "waiting", reason: `rate budget: ${action} on ${scope} in ${Math.ceil(e.ms / 100) / 10} s`, pod: podIds(rec) });
      setProblem(ctx, rec, waitingForBudget(action, scope === ctx.app ? `app ${scope}` : `machine ${scope}`, e.ms));
    }
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

/** A machine never boots with secret values older than those its pod's translation used. */
export function secretsVersionOf(rec: PodRecord): { min_secrets_version?: number } {
  return rec.minSecretsVersion > 0 ? { min_secrets_version: rec.minSecretsVersion } : {};
}

export function configOf(rec: PodRecord): MachineConfig {
  return rec.config as MachineConfig;
}
