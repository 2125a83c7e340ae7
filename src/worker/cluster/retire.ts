import type { Machine } from "../../machines/schemas";
import { GONE, MACHINE_METADATA, MAY_RUN, SETTLING } from "../translate/machine-facts";
import { spareConfigOf, spareEligibility, type SparePlan } from "../translate/spare-template";
import { again, DONE, record, type ConvergeContext, type StepResult } from "./converge-context";
import { findMachine, SETTLE_LOOK_MS, WAIT_TIMEOUT_S, waitInLane, within } from "./converge-step";
import { podIds } from "./decision-log";
import { settleClaim } from "./spare-claim";
import type { PodRecord } from "./state";

/** A machine that does not stop within its grace period and this long after is destroyed instead of kept. */
const PARK_STOP_MARGIN_MS = 5_000;

/**
 * Ends a pod that is deleted: its machine is stopped (SIGTERM, the pod's grace period), then kept
 * as a stopped spare of the pod's template when the template keeps spares (and has room), else
 * destroyed. The pod is forgotten only once its machine is confirmed destroyed or a spare.
 */
export async function ensureGone(ctx: ConvergeContext, rec: PodRecord): Promise<StepResult> {
  if (!rec.machineId) {
    const claim = ctx.spares.claimedBy(rec.uid);
    if (claim) return await settleClaim(ctx, rec, claim);
    const found = rec.createIntentAt !== null ? await findMachine(ctx, rec) : undefined;
    if (found && !GONE.has(found.state)) {
      record(ctx, rec, found);
      return again(0);
    }
    ctx.finish(rec.uid);
    return DONE;
  }
  const id = rec.machineId;
  const state = rec.machineState ?? "unknown";
  if (GONE.has(state)) {
    // Delete until confirmed: only a 404 or `destroyed` ends it.
    const m = await within(ctx, rec, "get", id, () => ctx.machines.getMachine(ctx.app, id));
    if (m.state === "destroyed") {
      ctx.finish(rec.uid);
      return DONE;
    }
    record(ctx, rec, m);
    return again(m.state === "destroying" ? 250 : 0);
  }
  const plan = parkingPlan(ctx, rec, id);
  const kept = plan && (await keepAsSpare(ctx, rec, id, plan));
  if (kept) return kept;
  const graceMs = rec.graceS * 1000;
  if (rec.desired === "delete" && graceMs > 0 && MAY_RUN.has(state)) {
    if (rec.stopRequestedAt === null) return await stopGracefully(ctx, rec, id);
    const stopAt = rec.stopRequestedAt + graceMs;
    if (stopAt > ctx.now()) {
      const m = await waitStopped(ctx, rec, id, stopAt - ctx.now());
      if (!m) return again(Math.min(SETTLE_LOOK_MS, stopAt - ctx.now()));
      if (MAY_RUN.has(m.state) && ctx.now() < stopAt) return again(500);
    }
  }
  await within(ctx, rec, "delete", id, () => ctx.machines.deleteMachine(ctx.app, id, { force: true }));
  ctx.spares.forget(id);
  ctx.refreshStatus(ctx.pods.expectState(rec.uid, "destroying", ctx.now()));
  ctx.decide({ action: "destroy", outcome: "done", reason: rec.desired === "destroy" ? "pod deleted (no grace)" : "pod deleted: grace period over or machine already stopped", pod: podIds(rec), machine: id });
  return again(0);
}

async function stopGracefully(ctx: ConvergeContext, rec: PodRecord, id: string): Promise<StepResult> {
  const graceS = rec.desired === "destroy" ? 0 : rec.graceS;
  await within(ctx, rec, "stop", id, () => ctx.machines.stopMachine(ctx.app, id, { signal: "SIGTERM", timeout: `${graceS}s` }));
  ctx.pods.markStopRequested(rec.uid, ctx.now());
  ctx.decide({ action: "stop", outcome: "done", reason: `pod deleted: SIGTERM with ${graceS} s grace`, pod: podIds(rec), machine: id });
  return again(0);
}

/**
 * Waits (at most WAIT_TIMEOUT_S, at most `leftMs`) for the machine to stop, then reads and records
 * it. Undefined, with no call made, while every wait lane is taken: the machine watch lists
 * stopped machines and schedules the pod once its machine has stopped.
 */
async function waitStopped(ctx: ConvergeContext, rec: PodRecord, id: string, leftMs: number): Promise<Machine | undefined> {
  const w = await waitInLane(ctx, rec, id, ["stopped", "failed", "destroyed"], Math.max(1, Math.min(WAIT_TIMEOUT_S, Math.ceil(leftMs / 1000))));
  if (w === "no-lane") return undefined;
  const m = await within(ctx, rec, "get", id, () => ctx.machines.getMachine(ctx.app, id));
  record(ctx, rec, m);
  return m;
}

/** The template the machine can be kept for, when the pod takes part in warm capacity and the template has room. */
function parkingPlan(ctx: ConvergeContext, rec: PodRecord, id: string): SparePlan | undefined {
  if (!rec.config || rec.problem?.terminal) return undefined;
  const e = spareEligibility(rec.pod, rec.config, rec.region, ctx.spareSettings);
  if (!e.ok) return undefined;
  const resuming = ctx.spares.get(id)?.state === "parking";
  if (!resuming && e.plan.count !== null && ctx.spares.kept(e.plan.key) >= e.plan.count) return undefined;
  return e.plan;
}

/**
 * Stops the machine (grace as for a delete), then makes it a spare: one update with
 * `skip_launch` and `current_version` puts the spare config on it (no pod identity, env, files,
 * secrets or services; the spare metadata). The `parking` row is written first, so a crash after
 * the update is finished by reading the machine. Undefined: keep no spare (destroy it instead).
 */
async function keepAsSpare(ctx: ConvergeContext, rec: PodRecord, id: string, plan: SparePlan): Promise<StepResult | undefined> {
  let state = rec.machineState;
  let version = rec.machineVersion;
  if (ctx.spares.get(id)?.state === "parking" || state === null) {
    // An update may have made it a spare already (its answer lost), or what is recorded is stale: look.
    const m = await within(ctx, rec, "get", id, () => ctx.machines.getMachine(ctx.app, id));
    if (m.config?.metadata?.[MACHINE_METADATA.spare] === plan.key) return parked(ctx, rec, m, plan);
    record(ctx, rec, m);
    state = m.state;
    version = m.version ?? null;
    if (GONE.has(state)) {
      ctx.spares.forget(id);
      return again(0);
    }
  }
  if (state === "created" || state === "failed") return undefined; // never booted, or broken: not worth keeping
  if (MAY_RUN.has(state)) {
    if (rec.stopRequestedAt === null) return await stopGracefully(ctx, rec, id);
    const stopAt = rec.stopRequestedAt + (rec.desired === "destroy" ? 0 : rec.graceS * 1000) + PARK_STOP_MARGIN_MS;
    if (ctx.now() >= stopAt) return undefined;
    const m = await waitStopped(ctx, rec, id, stopAt - ctx.now());
    return again(m ? 0 : Math.min(SETTLE_LOOK_MS, stopAt - ctx.now()));
  }
  if (SETTLING.has(state)) {
    const m = await waitStopped(ctx, rec, id, WAIT_TIMEOUT_S * 1000);
    return again(m ? 0 : SETTLE_LOOK_MS);
  }
  ctx.spares.beginParking(id, plan.key, ctx.now());
  const m = await within(ctx, rec, "update", id, () =>
    ctx.machines.updateMachine(ctx.app, id, { config: spareConfigOf(rec.config!, ctx.cluster, plan.key), current_version: version ?? undefined, skip_launch: true }),
  );
  return parked(ctx, rec, m, plan);
}

function parked(ctx: ConvergeContext, rec: PodRecord, m: Machine, plan: SparePlan): StepResult {
  const now = ctx.now();
  ctx.finish(rec.uid);
  ctx.spares.noteTemplate(plan, spareConfigOf(rec.config!, ctx.cluster, plan.key), now);
  ctx.spares.ready(m.id, plan.key, m.version ?? null, now);
  ctx.spares.tally(plan.key, "parked");
  const ttl = plan.count === null ? `for ${Math.round(plan.ttlMs / 60_000)} min` : `as one of ${plan.count}`;
  ctx.decide({ action: "park", outcome: "done", reason: `pod deleted: its machine is kept stopped as a spare of ${plan.template} ${ttl}`, pod: podIds(rec), machine: m.id });
  return DONE;
}
