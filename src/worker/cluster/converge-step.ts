import { MachinesApiError } from "../../machines/errors";
import type { WaitState } from "../../machines/client";
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

/**
 * Resolves in the event loop's next turn. A call leaves at the end of the turn that made it, and
 * is held until every write of that turn is durable (the output gate; a write made after the call,
 * in the same turn, holds it too: measured, bench/README.md): a step that issues a call and then
 * records what it knew lets the call go first by recording a turn later.
 */
export const nextTurn = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/** A 408 from `wait` only says the machine did not get there yet. */
export function unlessWaitTimedOut(e: unknown): void {
  if (!(e instanceof MachinesApiError && e.kind === "transient" && e.status === 408)) throw e;
}

/**
 * When a settling machine is looked at again while every wait lane is taken: no call is made, the
 * machine watch's list (every second while a machine settles) schedules the pod sooner once it
 * sees the machine settled; this is the fallback, which tries for a lane again.
 */
export const SETTLE_LOOK_MS = 2_000;

/**
 * Waits in one of the object's wait lanes (wait-lanes.ts) for the machine to reach `states`:
 * the answer, "timeout" when the wait ran out (408), or "no-lane" when every lane is taken (no call made).
 */
export async function waitInLane(ctx: ConvergeContext, rec: PodRecord, id: string, states: WaitState[], timeoutS: number): Promise<{ state?: string; version?: string } | "timeout" | "no-lane"> {
  const give = ctx.waits.tryTake();
  if (!give) return "no-lane";
  try {
    return await within(ctx, rec, "wait", id, () => ctx.machines.waitMachine(ctx.app, id, { states, timeoutS }));
  } catch (e) {
    unlessWaitTimedOut(e);
    return "timeout";
  } finally {
    give();
  }
}

/**
 * Fly's lists are eventually consistent (Corrosion; flyctl waits 500 ms before such a lookup): a
 * create whose answer was lost (a machine's, a volume's) is looked up only once its intent is this
 * old, so that one it made that a list does not show yet is not made a second time.
 */
export const LIST_SETTLE_MS = 2_000;

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
