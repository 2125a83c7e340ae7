import { MachinesApiError } from "../../machines/errors";
import type { Machine } from "../../machines/schemas";
import { GONE, MACHINE_METADATA } from "../translate/machine-facts";
import type { Decision } from "./decision-log";
import type { MachinesPort } from "./machines-port";
import type { BudgetAction, RateBudget } from "./rate-budget";
import type { PodStore, SpareStore, SpareTemplate } from "./state";

export interface SparePoolContext {
  machines: MachinesPort;
  app: string;
  pods: PodStore;
  spares: SpareStore;
  budget: RateBudget;
  now(): number;
  sleep(ms: number): Promise<void>;
  decide(d: Decision): void;
}

/** States a spare rests in (adopted only in one of them); one found `started` or `failed` is not kept. */
const RESTING = new Set(["stopped", "created", "suspended"]);

/**
 * The reconcile's part for spares, given this cluster's machines that carry `machinelet_spare`
 * (from the pass's list). Brings the stored spares in line with what Fly holds: a spare that
 * vanished is forgotten, one the store does not know is adopted when its template is in use and
 * has room (a pre-warm create or a park whose answer was lost), else handed to the orphan sweep
 * (returned). Then applies each template's policy: spares past their TTL, beyond the count, or of
 * a template no pod has used for its TTL are destroyed, and a template with no pods and no spares
 * left is forgotten. Returns the spare machines the orphan sweep should consider.
 */
export async function reconcileSpares(ctx: SparePoolContext, listed: readonly Machine[]): Promise<Machine[]> {
  const now = ctx.now();
  const inUse = new Set(ctx.pods.spareKeysInUse());
  ctx.spares.touchTemplates([...inUse], now);
  const templates = new Map(ctx.spares.templates().map((t) => [t.key, t]));
  const byId = new Map(listed.map((m) => [m.id, m]));
  const unknown: Machine[] = [];

  for (const s of ctx.spares.all()) {
    const m = byId.get(s.machineId);
    const settledElsewhere = s.state === "parking" ? !ctx.pods.holdsMachine(s.machineId) : s.state === "claiming" ? !ctx.pods.get(s.claimedBy ?? "") : false;
    if (!m) {
      // Not listed: gone (or still carrying a pod's metadata mid-park/claim, which that pod's step settles).
      if (s.state === "ready" || settledElsewhere) ctx.spares.forget(s.machineId);
      continue;
    }
    if (s.state === "parking" && settledElsewhere) ctx.spares.ready(s.machineId, s.key, m.version ?? null, s.keptAt);
  }

  for (const m of listed) {
    if (GONE.has(m.state) || ctx.spares.get(m.id)) continue;
    const key = m.config?.metadata?.[MACHINE_METADATA.spare] ?? "";
    const t = templates.get(key);
    if (t && live(t, inUse, now) && RESTING.has(m.state) && (t.count === null || ctx.spares.kept(key) < t.count)) {
      ctx.spares.ready(m.id, key, m.version ?? null, now);
      ctx.decide({ action: "adopt-spare", outcome: "done", reason: `a stopped spare of ${t.template} the store did not know (an answer lost): kept`, machine: m.id });
    } else unknown.push(m);
  }

  for (const t of templates.values()) await applyPolicy(ctx, t, inUse, byId);
  return unknown;
}

/** A template is in use while pods run from it, and for its TTL after the last one went. */
function live(t: SpareTemplate, inUse: ReadonlySet<string>, now: number): boolean {
  return inUse.has(t.key) || now - t.lastPodAt < t.ttlMs;
}

async function applyPolicy(ctx: SparePoolContext, t: SpareTemplate, inUse: ReadonlySet<string>, listed: ReadonlyMap<string, Machine>): Promise<void> {
  const now = ctx.now();
  const ready = ctx.spares.all().filter((s) => s.key === t.key && s.state === "ready").sort((a, b) => b.keptAt - a.keptAt);
  const isLive = live(t, inUse, now);
  let keep = isLive ? (t.count ?? Infinity) : 0;
  for (const s of ready) {
    const m = listed.get(s.machineId);
    const expired = !isLive || (t.count === null && now - s.keptAt >= t.ttlMs);
    const broken = m !== undefined && (m.state === "started" || m.state === "failed");
    if (!expired && !broken && keep > 0) {
      keep--;
      continue;
    }
    const why = broken ? `it is ${m!.state} (spares rest stopped)` : expired ? (isLive ? `its TTL (${t.ttlMs / 1000} s) passed` : `no pod of ${t.template} for its TTL`) : `more than the ${t.count} spares ${t.template} keeps`;
    await destroySpare(ctx, s.machineId, t.key, why);
  }
  if (!isLive) ctx.spares.dropTemplate(t.key);
}

async function destroySpare(ctx: SparePoolContext, id: string, key: string, why: string): Promise<void> {
  await budgeted(ctx, "delete", id);
  try {
    await ctx.machines.deleteMachine(ctx.app, id, { force: true });
  } catch (e) {
    if (!(e instanceof MachinesApiError && e.kind === "not_found")) throw e;
  }
  ctx.spares.forget(id);
  ctx.spares.tally(key, "expired");
  ctx.decide({ action: "expire-spare", outcome: "done", reason: `spare destroyed: ${why}`, machine: id });
}

async function budgeted(ctx: SparePoolContext, action: BudgetAction, scope: string): Promise<void> {
  const wait = ctx.budget.reserve(action, scope);
  if (wait > 0) await ctx.sleep(wait);
}

/** Create tokens pre-warming always leaves for pods: a pod that arrives finds one at once. */
const KEEP_FOR_PODS = 1;

/** What a pre-warming pass left: how many spares are still missing, and whether a create failed (not only the budget held it back). */
export interface PrewarmOutcome {
  missing: number;
  failed: boolean;
}

/**
 * Pre-warming: for each template in use that asks for `count` spares and has fewer, creates
 * stopped spares (`skip_launch`, the template's spare config) in the spare create budget: only
 * from create tokens the pods leave over, keeping one for the next pod and none while a pod is
 * queued for a create, so a real pod's create is never delayed by a spare's. A create whose answer
 * is lost leaves a spare the store does not know; the next reconcile adopts it (one too many is
 * destroyed as beyond the count).
 */
export async function prewarmSpares(ctx: SparePoolContext): Promise<PrewarmOutcome> {
  const now = ctx.now();
  const inUse = new Set(ctx.pods.spareKeysInUse());
  let missing = 0;
  let failed = false;
  for (const t of ctx.spares.templates()) {
    if (t.count === null || !live(t, inUse, now)) continue;
    let deficit = t.count - ctx.spares.kept(t.key);
    while (deficit > 0 && ctx.budget.tryReserve("create", ctx.app, KEEP_FOR_PODS)) {
      try {
        const m = await ctx.machines.createMachine(ctx.app, { config: t.config, ...(t.region ? { region: t.region } : {}), skip_launch: true });
        ctx.spares.ready(m.id, t.key, m.version ?? null, ctx.now());
        ctx.spares.tally(t.key, "created");
        ctx.decide({ action: "prewarm", outcome: "done", reason: `${t.template} keeps ${t.count} spares ready: created a stopped one ahead of need`, machine: m.id });
        deficit--;
      } catch (e) {
        if (e instanceof MachinesApiError && e.kind === "rate_limited") ctx.budget.drain("create", ctx.app, e.rateLimitWaitMs);
        ctx.decide({ action: "prewarm", outcome: "retry", reason: `creating a spare of ${t.template} failed: ${e instanceof Error ? e.message : String(e)}` });
        failed = true;
        break;
      }
    }
    missing += deficit;
  }
  return { missing, failed };
}
