import { MachinesApiError } from "../../machines/errors";
import type { MachineConfig } from "../../machines/schemas";
import { GONE, SETTLING, STOPPED, wantsRestart } from "../translate/machine-facts";
import { adoptedHash } from "./config-drift";
import { again, DONE, record, setProblem, vanished, type ConvergeContext, type StepResult } from "./converge-context";
import { onError } from "./converge-errors";
import { configOf, findMachine, LIST_SETTLE_MS, nextTurn, secretsVersionOf, SETTLE_LOOK_MS, WAIT_TIMEOUT_S, waitInLane, within } from "./converge-step";
import { podIds } from "./decision-log";
import { podImages } from "./image-pull-backoff";
import { ensureGone } from "./retire";
import { claimSpare } from "./spare-claim";
import type { PodRecord } from "./state";

/**
 * One convergence step for one pod: compare what the pod wants (`desired`, `configHash`) with
 * what was last observed of its machine, make at most one or two API calls toward the
 * difference, record what came back, and say when to look again. Every step re-reads the row,
 * so repeated, stale or concurrent triggers converge on the same result.
 */
export type { ConvergeContext, StepResult } from "./converge-context";

/** Reads of a started machine whose checks do not pass yet, one a second, before the periodic reconcile takes over. */
const CHECK_POLLS = 15;

export async function convergePod(ctx: ConvergeContext, uid: string, attempts: number): Promise<StepResult> {
  const rec = ctx.pods.get(uid);
  if (!rec || rec.desired !== "run") {
    releaseCreateSlot(ctx, uid);
    ctx.imagePulls.forget(uid);
  }
  if (!rec) return DONE;
  try {
    return rec.desired === "run" ? await ensureRunning(ctx, rec, attempts) : await ensureGone(ctx, rec);
  } catch (e) {
    return onError(ctx, rec, e, attempts);
  }
}

/** A pod that no longer needs the create it queued for gives its slot back: a deleted pod never delays the next. */
function releaseCreateSlot(ctx: ConvergeContext, uid: string): void {
  ctx.budget.forgo(uid, "create", ctx.app);
}

async function ensureRunning(ctx: ConvergeContext, rec: PodRecord, attempts: number): Promise<StepResult> {
  if (rec.problem?.terminal) return DONE;
  // Waiting for something (a Secret, a valid image name): nothing to apply until the spec or the
  // object changes, which schedules the pod again; a create slot it queued for goes back.
  if (!rec.config) {
    releaseCreateSlot(ctx, rec.uid);
    return DONE;
  }
  if (!rec.machineId) {
    if (rec.createIntentAt !== null) {
      const settling = rec.createIntentAt + LIST_SETTLE_MS - ctx.now();
      if (settling > 0) return again(settling);
      const found = await findMachine(ctx, rec);
      if (found) {
        record(ctx, rec, found, adoptedHash(rec, found.config));
        ctx.decide({ action: "adopt", outcome: "done", reason: "found the pod's machine by metadata after a create whose answer was lost", pod: podIds(rec), machine: found.id });
        return again(0);
      }
    } else {
      const claimed = imagePullBackoff(ctx, rec) ?? (await claimSpare(ctx, rec));
      if (claimed) return claimed;
    }
    return await create(ctx, rec);
  }
  const id = rec.machineId;
  // An update needs the machine's current version: when a re-read was asked for (a 409 said ours is stale), read first.
  if (rec.appliedHash !== rec.configHash && rec.machineState !== null) {
    const backingOff = imagePullBackoff(ctx, rec);
    if (backingOff) return backingOff;
    const started = ctx.now();
    const m = await within(ctx, rec, "update", id, () =>
      // A stopped machine stays stopped (Fly would boot it): whether it runs again is the restart policy's call below.
      ctx.machines.updateMachine(ctx.app, id, {
        config: configOf(rec),
        current_version: rec.machineVersion ?? undefined,
        ...secretsVersionOf(rec),
        ...(STOPPED.has(rec.machineState ?? "") ? { skip_launch: true } : {}),
      }),
    );
    ctx.imagePulls.forget(rec.uid);
    record(ctx, rec, m, rec.configHash);
    ctx.decide({ action: "update", outcome: "done", reason: "the machine's config differs from the pod's (config hash changed)", pod: podIds(rec), machine: id, durationMs: ctx.now() - started });
    return again(0);
  }
  if (rec.machineState === null || SETTLING.has(rec.machineState)) return await observe(ctx, rec, attempts);
  if (GONE.has(rec.machineState)) return vanished(ctx, rec);
  if (STOPPED.has(rec.machineState) && (wantsRestart(rec.pod.spec.restartPolicy, rec.lastMachine?.events) || awaitsFirstBoot(rec))) {
    await within(ctx, rec, "start", id, () => ctx.machines.startMachine(ctx.app, id));
    ctx.refreshStatus(ctx.pods.expectState(rec.uid, "starting", ctx.now()));
    ctx.decide({ action: "start", outcome: "done", reason: `machine ${rec.machineState}; restartPolicy ${rec.pod.spec.restartPolicy ?? "Always"} restarts it`, pod: podIds(rec), machine: id });
    return again(0);
  }
  return DONE;
}

/** A machine taken over from a spare that has not booted for this pod yet (its claim update left it stopped): start it, whatever the policy. */
function awaitsFirstBoot(rec: PodRecord): boolean {
  return rec.machineSince !== null && !(rec.lastMachine?.events ?? []).some((e) => e.type === "start" || e.type === "exit");
}

/** While a refused image pull backs off, the pod shows ImagePullBackOff and nothing is created or updated. */
function imagePullBackoff(ctx: ConvergeContext, rec: PodRecord): StepResult | undefined {
  const b = ctx.imagePulls.backingOff(rec.uid, podImages(rec.pod), ctx.now());
  if (!b) return undefined;
  setProblem(ctx, rec, b.problem);
  return again(b.ms);
}

async function create(ctx: ConvergeContext, rec: PodRecord): Promise<StepResult> {
  const backingOff = imagePullBackoff(ctx, rec);
  if (backingOff) return backingOff;
  const started = ctx.now();
  const m = await within(ctx, rec, "create", ctx.app, async () => {
    // Intent first: if we crash or time out after Fly made the machine, the next step finds it by metadata.
    ctx.pods.markCreateIntent(rec.uid, ctx.now());
    try {
      return await ctx.machines.createMachine(ctx.app, { name: rec.machineName, region: rec.region ?? undefined, config: configOf(rec), ...secretsVersionOf(rec) });
    } catch (e) {
      // A definite refusal (429, 4xx) made nothing: the next try need not look for a machine first.
      if (e instanceof MachinesApiError && !e.mayHaveSucceeded) ctx.pods.clearCreateIntent(rec.uid, ctx.now());
      throw e;
    }
  });
  // The machine boots now. Its wait goes out before the answer is recorded, which waits a turn
  // (nextTurn): the record's writes would hold the wait until they are durable. A crash in
  // between is a create whose answer was lost: the intent makes the next step look it up.
  const early = SETTLING.has(m.state) ? waitInLane(ctx, rec, m.id, SETTLED, WAIT_TIMEOUT_S) : undefined;
  if (early) await nextTurn();
  ctx.imagePulls.forget(rec.uid);
  record(ctx, rec, m, rec.configHash);
  const g = configOf(rec).guest;
  const guest = g ? `${g.cpu_kind ?? "shared"}-cpu-${g.cpus ?? 1}x, ${g.memory_mb ?? 256} MB` : "default guest";
  ctx.decide({ action: "create", outcome: "done", reason: `the pod has no machine; created with ${guest}${rec.region ? ` in ${rec.region}` : ""}`, pod: podIds(rec), machine: m.id, durationMs: ctx.now() - started });
  if (!early) return again(0);
  // What the next step would do with the machine just recorded: observe it, with the wait already under way.
  const after = ctx.pods.get(rec.uid);
  if (after?.machineId !== m.id) {
    void early.catch(() => undefined);
    return again(0);
  }
  try {
    return await observe(ctx, after, 0, early);
  } catch (e) {
    return onError(ctx, after, e, 0);
  }
}

/** The states a settling machine's wait ends in. */
const SETTLED: ["started", "stopped", "failed", "destroyed"] = ["started", "stopped", "failed", "destroyed"];

/**
 * Waits briefly for the machine to settle, then reads it whole (state, IP, checks, events). A
 * machine that settled as `started` with no checks to report skips the read: the wait answer and
 * what create or update returned say all its status needs (the next reconcile fills in events).
 * While every wait lane is taken, no call: the machine watch sees the machine settle. `early`:
 * the wait, already issued (right after a create).
 */
async function observe(ctx: ConvergeContext, rec: PodRecord, attempts: number, early?: ReturnType<typeof waitInLane>): Promise<StepResult> {
  const id = rec.machineId!;
  if (rec.machineState !== null && SETTLING.has(rec.machineState)) {
    const w = await (early ?? waitInLane(ctx, rec, id, SETTLED, WAIT_TIMEOUT_S));
    if (w === "no-lane") return again(SETTLE_LOOK_MS);
    const last = rec.lastMachine;
    if (w !== "timeout" && w.state === "started" && last && !mayHaveChecks(rec)) {
      // Running reaches the feed's readers now; recorded a turn later, so no write holds their answer.
      const started = { ...last, state: "started", version: w.version ?? last.version };
      ctx.showStatusEarly(rec.withMachine(started, rec.appliedHash, ctx.now()));
      await nextTurn();
      record(ctx, rec, started);
      return DONE;
    }
  }
  const m = await within(ctx, rec, "get", id, () => ctx.machines.getMachine(ctx.app, id));
  record(ctx, rec, m);
  if (SETTLING.has(m.state)) return again(250);
  // Checks still coming up: look again each second for a while (Ready follows them), then leave it to the periodic reconcile.
  if (m.state === "started" && (m.checks ?? []).some((c) => c.status !== "passing") && attempts < CHECK_POLLS) {
    ctx.pods.requestReread(rec.uid, ctx.now()); // status keeps the last read
    return again(1_000, undefined, true);
  }
  // Stopped or gone: the next step decides (restart per policy, or recreate); so does a pending update.
  return GONE.has(m.state) || STOPPED.has(m.state) || rec.appliedHash !== rec.configHash ? again(0) : DONE;
}

/** Whether the config the machine runs may define checks: the pod's, once applied; unknown (so: yes) before. */
function mayHaveChecks(rec: PodRecord): boolean {
  return rec.appliedHash !== rec.configHash || hasChecks(rec.config ?? undefined);
}

function hasChecks(config: MachineConfig | undefined): boolean {
  return Object.keys(config?.checks ?? {}).length > 0 || (config?.containers ?? []).some((c) => (c.healthchecks ?? []).length > 0);
}
