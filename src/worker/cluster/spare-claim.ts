import { MachinesApiError } from "../../machines/errors";
import type { Machine } from "../../machines/schemas";
import { MACHINE_METADATA } from "../translate/machine-facts";
import { spareConfigOf, spareEligibility } from "../translate/spare-template";
import { again, type ConvergeContext, type StepResult } from "./converge-context";
import { configOf, secretsVersionOf, within } from "./converge-step";
import { podIds } from "./decision-log";
import type { PodRecord, Spare } from "./state";

/**
 * Serves a pod that has no machine from a stopped spare of its template, when one is ready: the
 * spare is claimed in storage first (exclusive), then ONE update with `current_version` writes the
 * pod's whole config (its identity: metadata keys, downward-API env, hostname) and, since the
 * machine is stopped and `skip_launch` is not set, boots it (Fly: an update starts a stopped
 * machine). A stale version (409: the spare changed under us) or a vanished spare gives it up and
 * the pod tries the next spare or a create. Undefined: no spare to take, create.
 *
 * Also notes the pod's template (spare key, policy, spare config), spare or not, so pre-warming
 * and the TTL know it is in use.
 */
export async function claimSpare(ctx: ConvergeContext, rec: PodRecord): Promise<StepResult | undefined> {
  // A pod's spare key is written before its first claim (below) and never cleared: a pod without one holds no claim.
  let spare = rec.spareKey === null ? undefined : ctx.spares.claimedBy(rec.uid);
  if (!spare) {
    const config = rec.config;
    const e = config ? spareEligibility(rec.pod, config, rec.region, ctx.spareSettings) : undefined;
    if (!e?.ok) return undefined;
    const now = ctx.now();
    ctx.pods.setSpareKey(rec.uid, e.plan.key, now);
    ctx.spares.noteTemplate(e.plan, spareConfigOf(config!, ctx.cluster, e.plan.key), now);
    spare = ctx.spares.claim(e.plan.key, rec.uid, now);
    if (!spare) return undefined;
  }
  return await takeOver(ctx, rec, spare);
}

/** How soon a pod looks again after its spare answered 409 while still settling (an update takes Fly a moment). */
const SETTLING_SPARE_MS = 250;

async function takeOver(ctx: ConvergeContext, rec: PodRecord, spare: Spare): Promise<StepResult> {
  const id = spare.machineId;
  try {
    let version = spare.machineVersion;
    if (spare.updatedClaim) {
      // A claim update may have gone out with its answer lost: the machine says whose it is.
      const m = await within(ctx, rec, "get", id, () => ctx.machines.getMachine(ctx.app, id));
      const outcome = settle(ctx, rec, spare, m);
      if (outcome !== "spare") return outcome;
      version = m.version ?? null;
    }
    ctx.spares.markClaimUpdate(id, ctx.now());
    const started = ctx.now();
    const m = await within(ctx, rec, "update", id, () =>
      ctx.machines.updateMachine(ctx.app, id, { config: configOf(rec), current_version: version ?? undefined, ...secretsVersionOf(rec) }),
    );
    bindClaimed(ctx, rec, spare, m);
    ctx.decide({ action: "claim-spare", outcome: "done", reason: "served from a stopped spare of its template: one update wrote the pod's config and boots it", pod: podIds(rec), machine: id, durationMs: ctx.now() - started });
    return again(0);
  } catch (e) {
    if (!(e instanceof MachinesApiError)) throw e;
    if (e.kind === "conflict") {
      // A stale version: a spare still settling from its park is waited for; anything else is not ours to use.
      const m = await within(ctx, rec, "get", id, () => ctx.machines.getMachine(ctx.app, id));
      if (settle(ctx, rec, spare, m) === "spare") {
        ctx.spares.release(id, m.version ?? null, ctx.now());
        return again(SETTLING_SPARE_MS);
      }
    }
    if (e.kind === "conflict" || e.kind === "not_found") {
      // Changed or gone under us: not ours to use. A reconcile finds it again if it is still a spare.
      ctx.spares.forget(id);
      ctx.decide({ action: "claim-spare", outcome: "retry", reason: `spare ${id} could not be taken (${e.status} ${e.message}): next spare or a create`, pod: podIds(rec), machine: id });
      return again(0);
    }
    // The pod's own problem (capacity, secrets version, config) or a lost answer: an unanswered claim is settled by reading the machine.
    if (!e.mayHaveSucceeded) ctx.spares.release(id, null, ctx.now());
    throw e;
  }
}

/**
 * A claim row found with its update perhaps made (a pod deleted meanwhile, or a lost answer):
 * the machine's metadata decides. Ours: bound to the pod. Still a spare of its key: `"spare"`
 * (the claim may go on). Anything else: no spare any more.
 */
export async function settleClaim(ctx: ConvergeContext, rec: PodRecord, spare: Spare): Promise<StepResult> {
  if (!spare.updatedClaim) {
    ctx.spares.release(spare.machineId, null, ctx.now());
    return again(0);
  }
  try {
    const m = await within(ctx, rec, "get", spare.machineId, () => ctx.machines.getMachine(ctx.app, spare.machineId));
    const outcome = settle(ctx, rec, spare, m);
    if (outcome === "spare") ctx.spares.release(spare.machineId, m.version ?? null, ctx.now());
  } catch (e) {
    if (!(e instanceof MachinesApiError && e.kind === "not_found")) throw e;
    ctx.spares.forget(spare.machineId);
  }
  return again(0);
}

function settle(ctx: ConvergeContext, rec: PodRecord, spare: Spare, m: Machine): StepResult | "spare" {
  const meta = m.config?.metadata ?? {};
  if (meta[MACHINE_METADATA.podUid] === rec.uid) {
    bindClaimed(ctx, rec, spare, m);
    ctx.decide({ action: "claim-spare", outcome: "done", reason: "found the spare already given to the pod by a claim whose answer was lost", pod: podIds(rec), machine: m.id });
    return again(0);
  }
  if (meta[MACHINE_METADATA.spare] === spare.key && m.state !== "destroyed" && m.state !== "destroying") return "spare";
  ctx.spares.forget(m.id);
  return again(0);
}

/** Binds the claimed machine to the pod (its own events start at the claim) and ends the spare, in one synchronous write. */
export function bindClaimed(ctx: Pick<ConvergeContext, "pods" | "spares" | "now" | "refreshStatus">, rec: PodRecord, spare: Pick<Spare, "machineId" | "key">, m: Machine): void {
  ctx.spares.forget(spare.machineId);
  ctx.spares.tally(spare.key, "claimed");
  ctx.refreshStatus(ctx.pods.bindSpare(rec, m, claimedAt(m, ctx.now()), ctx.now()));
}

/**
 * Where the pod's own events start on a machine it took over: the newest `update` event (the
 * claim's), else the newest event, else the machine's update time; Fly's clock throughout.
 */
export function claimedAt(m: Machine, now: number): number {
  const events = m.events ?? [];
  const updates = events.filter((e) => e.type === "update");
  const from = updates.length ? updates : events;
  if (from.length) return Math.max(...from.map((e) => e.timestamp));
  const updated = m.updated_at ? Date.parse(m.updated_at) : NaN;
  return Number.isFinite(updated) ? updated : now;
}

