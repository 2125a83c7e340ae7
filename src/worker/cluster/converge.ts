import type { MachinesClient } from "../../machines/client";
import { MachinesApiError } from "../../machines/errors";
import type { Machine, MachineConfig } from "../../machines/schemas";
import { backoffMs } from "./backoff";
import { adoptedHash } from "./config-drift";
import { observed, wantsRestart } from "./machine-facts";
import type { PodRow, PodStore } from "./pod-store";
import { waitingForBudget, type Problem } from "./problem";
import type { BudgetAction, RateBudget } from "./rate-budget";

/**
 * One convergence step for one pod: compare what the pod wants (`desired`, `config_hash`) with
 * what was last observed of its machine, make at most one or two API calls toward the
 * difference, record what came back, and say when to look again. Every step re-reads the row,
 * so repeated, stale or concurrent triggers converge on the same result.
 */
export interface ConvergeContext {
  client: MachinesClient;
  app: string;
  cluster: string;
  store: PodStore;
  budget: RateBudget;
  /** In-memory reservations `${uid}:${action}` -> time the reserved budget slot opens. */
  reservations: Map<string, number>;
  now(): number;
  /** Recomputes the pod's status from its row; called after every recorded change. */
  refreshStatus(uid: string): void;
  /** The machine is confirmed gone and the pod is to be forgotten (feed `gone`, tombstone). */
  finish(uid: string): void;
}

export type StepResult = { next: "done" } | { next: "again"; inMs: number; error?: string; countAttempt?: boolean };

const DONE: StepResult = { next: "done" };
const again = (inMs: number, error?: string, countAttempt = false): StepResult => ({ next: "again", inMs, error, countAttempt });

/** States a machine passes through on its own; while in one we keep watching. */
const SETTLING = new Set(["created", "starting", "replacing", "updating", "restarting", "stopping", "suspending", "launch_failed"]);
const RUNNING = new Set(["started", "starting", "restarting", "updating", "replacing", "created"]);
const GONE = new Set(["destroyed", "destroying"]);
const STOPPED = new Set(["stopped", "failed", "suspended"]);
/** Reads of a started machine whose checks do not pass yet, one a second, before the periodic reconcile takes over. */
const CHECK_POLLS = 15;
/** How long one `wait` call may block the step (Fly allows up to 60 s). */
const WAIT_TIMEOUT_S = 10;

export async function convergePod(ctx: ConvergeContext, uid: string, attempts: number): Promise<StepResult> {
  const row = ctx.store.get(uid);
  if (!row) return DONE;
  try {
    return row.desired === "run" ? await ensureRunning(ctx, row, attempts) : await ensureGone(ctx, row);
  } catch (e) {
    return onError(ctx, row, e, attempts);
  }
}

class BudgetWait {
  constructor(readonly ms: number) {}
}

/** Calls `fn` once the budget for `action` on `scope` allows it; otherwise throws a BudgetWait. */
async function within<T>(ctx: ConvergeContext, row: PodRow, action: BudgetAction, scope: string, fn: () => Promise<T>): Promise<T> {
  const key = `${row.uid}:${action}`;
  const now = ctx.now();
  const slot = ctx.reservations.get(key);
  let waitMs: number;
  if (slot !== undefined) waitMs = Math.max(0, slot - now);
  else waitMs = ctx.budget.reserve(action, scope);
  if (waitMs > 0) {
    ctx.reservations.set(key, now + waitMs);
    setProblem(ctx, row, waitingForBudget(action, scope === ctx.app ? `app ${scope}` : `machine ${scope}`, waitMs));
    throw new BudgetWait(waitMs);
  }
  ctx.reservations.delete(key);
  try {
    return await fn();
  } catch (e) {
    if (e instanceof MachinesApiError && e.kind === "rate_limited") ctx.budget.drain(action, scope, e.retryAfterMs ?? 1_000);
    throw e;
  }
}

async function ensureRunning(ctx: ConvergeContext, row: PodRow, attempts: number): Promise<StepResult> {
  const problem = parseProblem(row);
  if (problem?.terminal) return DONE;
  if (!row.machine_id) {
    if (row.create_intent_at !== null) {
      const found = await findMachine(ctx, row);
      if (found) {
        record(ctx, row, found, { applied_hash: adoptedHash(row, found.config) });
        return again(0);
      }
    }
    return await create(ctx, row);
  }
  if (row.applied_hash !== row.config_hash) {
    const m = await within(ctx, row, "update", row.machine_id, () =>
      ctx.client.updateMachine(ctx.app, row.machine_id!, { config: config(row), current_version: row.machine_version ?? undefined }),
    );
    record(ctx, row, m, { applied_hash: row.config_hash });
    return again(0);
  }
  if (row.machine_state === null || SETTLING.has(row.machine_state)) return await observe(ctx, row, attempts);
  if (GONE.has(row.machine_state)) return vanished(ctx, row);
  if (STOPPED.has(row.machine_state) && wantsRestart(row)) {
    const id = row.machine_id;
    await within(ctx, row, "start", id, () => ctx.client.startMachine(ctx.app, id));
    ctx.store.update(row.uid, { machine_state: "starting" });
    ctx.refreshStatus(row.uid);
    return again(0);
  }
  return DONE;
}

/** The machine is gone although the pod should run: forget it, so the next step creates a new one. */
function vanished(ctx: ConvergeContext, row: PodRow): StepResult {
  ctx.store.update(row.uid, { machine_id: null, machine_version: null, machine_state: null, applied_hash: null, create_intent_at: null, machine_json: null });
  ctx.refreshStatus(row.uid);
  return again(0);
}

async function create(ctx: ConvergeContext, row: PodRow): Promise<StepResult> {
  const m = await within(ctx, row, "create", ctx.app, async () => {
    // Intent first: if we crash or time out after Fly made the machine, the next step finds it by metadata.
    ctx.store.update(row.uid, { create_intent_at: ctx.now() });
    try {
      return await ctx.client.createMachine(ctx.app, { name: row.machine_name, region: row.region ?? undefined, config: config(row) });
    } catch (e) {
      // A definite refusal (429, 4xx) made nothing: the next try need not look for a machine first.
      if (e instanceof MachinesApiError && !e.mayHaveSucceeded) ctx.store.update(row.uid, { create_intent_at: null });
      throw e;
    }
  });
  record(ctx, row, m, { applied_hash: row.config_hash });
  return again(0);
}

/**
 * Waits briefly for the machine to settle, then reads it whole (state, IP, checks, events). A
 * machine that settled as `started` with no checks to report skips the read: the wait answer and
 * what create or update returned say all its status needs (the next reconcile fills in events).
 */
async function observe(ctx: ConvergeContext, row: PodRow, attempts: number): Promise<StepResult> {
  const id = row.machine_id!;
  if (row.machine_state !== null && SETTLING.has(row.machine_state)) {
    try {
      const w = await within(ctx, row, "wait", id, () =>
        ctx.client.waitMachine(ctx.app, id, { states: ["started", "stopped", "failed", "destroyed"], timeoutS: WAIT_TIMEOUT_S }),
      );
      const last = row.machine_json ? (JSON.parse(row.machine_json) as Machine) : undefined;
      if (w.state === "started" && last && !hasChecks(last.config)) {
        record(ctx, row, { ...last, state: "started", version: w.version ?? last.version }, {});
        return DONE;
      }
    } catch (e) {
      if (!(e instanceof MachinesApiError && e.kind === "transient" && e.status === 408)) throw e;
    }
  }
  const m = await within(ctx, row, "get", id, () => ctx.client.getMachine(ctx.app, id));
  record(ctx, row, m, {});
  if (SETTLING.has(m.state)) return again(250);
  // Checks still coming up: look again each second for a while (Ready follows them), then leave it to the periodic reconcile.
  if (m.state === "started" && (m.checks ?? []).some((c) => c.status !== "passing") && attempts < CHECK_POLLS) {
    ctx.store.update(row.uid, { machine_state: null }); // null: read it again; status keeps the last read
    return again(1_000, undefined, true);
  }
  // Stopped or gone: the next step decides (restart per policy, or recreate).
  return GONE.has(m.state) || STOPPED.has(m.state) ? again(0) : DONE;
}

function hasChecks(config: MachineConfig | undefined): boolean {
  return Object.keys(config?.checks ?? {}).length > 0 || (config?.containers ?? []).some((c) => (c.healthchecks ?? []).length > 0);
}

async function ensureGone(ctx: ConvergeContext, row: PodRow): Promise<StepResult> {
  if (!row.machine_id) {
    const found = row.create_intent_at !== null ? await findMachine(ctx, row) : undefined;
    if (found && !GONE.has(found.state)) {
      record(ctx, row, found, {});
      return again(0);
    }
    ctx.finish(row.uid);
    return DONE;
  }
  const id = row.machine_id;
  const state = row.machine_state ?? "unknown";
  if (GONE.has(state)) {
    // Delete until confirmed: only a 404 or `destroyed` ends it.
    const m = await within(ctx, row, "get", id, () => ctx.client.getMachine(ctx.app, id));
    if (m.state === "destroyed") {
      ctx.finish(row.uid);
      return DONE;
    }
    record(ctx, row, m, {});
    return again(m.state === "destroying" ? 250 : 0);
  }
  const graceMs = row.grace_s * 1000;
  if (row.desired === "delete" && graceMs > 0 && RUNNING.has(state)) {
    if (row.stop_requested_at === null) {
      await within(ctx, row, "stop", id, () => ctx.client.stopMachine(ctx.app, id, { signal: "SIGTERM", timeout: `${row.grace_s}s` }));
      ctx.store.update(row.uid, { stop_requested_at: ctx.now() });
      return again(0);
    }
    const left = row.stop_requested_at + graceMs - ctx.now();
    if (left > 0) {
      await within(ctx, row, "wait", id, () =>
        ctx.client.waitMachine(ctx.app, id, { states: ["stopped", "failed", "destroyed"], timeoutS: Math.min(WAIT_TIMEOUT_S, Math.ceil(left / 1000)) }),
      ).catch((e) => {
        if (!(e instanceof MachinesApiError && e.kind === "transient" && e.status === 408)) throw e;
      });
      const m = await within(ctx, row, "get", id, () => ctx.client.getMachine(ctx.app, id));
      record(ctx, row, m, {});
      if (RUNNING.has(m.state) && ctx.now() < row.stop_requested_at + graceMs) return again(500);
    }
  }
  await within(ctx, row, "delete", id, () => ctx.client.deleteMachine(ctx.app, id, { force: true }));
  ctx.store.update(row.uid, { machine_state: "destroying" });
  ctx.refreshStatus(row.uid);
  return again(0);
}

/** Finds this pod's machine by its metadata (never a machine of another cluster). */
async function findMachine(ctx: ConvergeContext, row: PodRow): Promise<Machine | undefined> {
  const { machines } = await within(ctx, row, "list", ctx.app, () =>
    ctx.client.listMachines(ctx.app, { metadata: { machinelet_cluster: ctx.cluster, machinelet_pod_uid: row.uid } }),
  );
  return machines.find((m) => m.state !== "destroyed");
}

function record(ctx: ConvergeContext, row: PodRow, m: Machine, extra: Partial<PodRow>): void {
  ctx.store.update(row.uid, { ...observed(m), machine_id: m.id, problem_json: null, ...extra });
  ctx.refreshStatus(row.uid);
}

function setProblem(ctx: ConvergeContext, row: PodRow, problem: Problem | null): void {
  const json = problem && JSON.stringify(problem);
  if (json === row.problem_json) return;
  ctx.store.update(row.uid, { problem_json: json });
  ctx.refreshStatus(row.uid);
}

function onError(ctx: ConvergeContext, row: PodRow, e: unknown, attempts: number): StepResult {
  if (e instanceof BudgetWait) return again(e.ms);
  if (!(e instanceof MachinesApiError)) {
    const message = e instanceof Error ? e.message : String(e);
    setProblem(ctx, row, { reason: "ProviderError", message, terminal: false });
    return again(backoffMs(attempts), message, true);
  }
  switch (e.kind) {
    case "rate_limited":
      setProblem(ctx, row, { reason: "RateLimited", message: e.message, terminal: false });
      return again(e.retryAfterMs ?? 1_000, e.message);
    case "not_found":
      if (row.desired !== "run") {
        ctx.finish(row.uid);
        return DONE;
      }
      return vanished(ctx, row);
    case "conflict":
    case "precondition":
      // Stale version or a racing transition: re-read the machine before acting again.
      if (row.machine_id) ctx.store.update(row.uid, { machine_state: null });
      return again(backoffMs(attempts), e.message, true);
    case "invalid":
      setProblem(ctx, row, {
        reason: e.flyStatus === "insufficient_capacity" ? "InsufficientCapacity" : "ProviderFailed",
        message: e.message,
        terminal: true,
      });
      return DONE;
    case "unauthorized":
    case "transient":
      setProblem(ctx, row, { reason: e.kind === "unauthorized" ? "ProviderUnauthorized" : "ProviderRetrying", message: e.message, terminal: false });
      return again(backoffMs(attempts), e.message, true);
  }
}

export function parseProblem(row: PodRow): Problem | null {
  return row.problem_json ? (JSON.parse(row.problem_json) as Problem) : null;
}

function config(row: PodRow): MachineConfig {
  return JSON.parse(row.config_json!) as MachineConfig;
}
