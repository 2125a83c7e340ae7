import type { MachinesClient } from "../../machines/client";
import type { ReconcileCounts } from "../../shared/contract";
import { MachinesApiError } from "../../machines/errors";
import type { Machine } from "../../machines/schemas";
import { adoptedHash, configDrifted } from "./config-drift";
import { observed, observedDigest, wantsRestart } from "./machine-facts";
import type { PodStore } from "./pod-store";
import type { BudgetAction, RateBudget } from "./rate-budget";

export type { ReconcileCounts };

export interface ReconcileContext {
  client: MachinesClient;
  app: string;
  cluster: string;
  store: PodStore;
  sql: SqlStorage;
  budget: RateBudget;
  /** Pass number, increasing by one per pass; orphans must be seen on two consecutive ones. */
  pass: number;
  schedule(uid: string): void;
  refreshStatus(uid: string): void;
}

const PAGE_LIMIT = 1000;
const SETTLING = new Set(["created", "starting", "replacing", "updating", "restarting", "stopping", "suspending"]);
const GONE = new Set(["destroyed", "destroying"]);
const STOPPED = new Set(["stopped", "failed", "suspended"]);

/**
 * One level-based pass over the whole cluster: list its machines (ceil(N/1000) calls), compare
 * with the stored pods, and schedule or do what closes the gap. An idle cluster costs the list
 * calls and nothing else.
 */
export async function reconcilePass(ctx: ReconcileContext): Promise<ReconcileCounts> {
  const counts: ReconcileCounts = { created: 0, updated: 0, destroyed: 0, orphansDestroyed: 0, unchanged: 0 };
  const machines = await listClusterMachines(ctx);
  const seen = new Set<string>();
  const candidates: Machine[] = [];

  const index = ctx.store.reconcileIndex();
  for (const m of machines) {
    const meta = m.config?.metadata ?? {};
    // Machines on their way out are neither owners nor orphans.
    if (meta.machinelet_cluster !== ctx.cluster || GONE.has(m.state)) continue;
    const uid = meta.machinelet_pod_uid ?? "";
    const row = index.get(uid);
    if (!row || (row.machine_id !== null && row.machine_id !== m.id)) {
      candidates.push(m);
      continue;
    }
    seen.add(uid);
    if (row.machine_id === null) {
      // Created by a step that did not live to record it.
      ctx.store.update(uid, { ...observed(m), machine_id: m.id, applied_hash: adoptedHash(ctx.store.get(uid)!, m.config) });
      ctx.refreshStatus(uid);
      ctx.schedule(uid);
      counts.updated++;
      continue;
    }
    // Only a new version can carry a changed config; a machine still settling is looked at next pass.
    const versionMoved = (m.version ?? null) !== row.machine_version;
    if (versionMoved && SETTLING.has(m.state)) {
      counts.unchanged++;
      continue;
    }
    if (observedDigest(m) !== row.observed_digest) {
      ctx.store.update(uid, observed(m));
      ctx.refreshStatus(uid);
    }
    if (row.desired !== "run") {
      ctx.schedule(uid);
      counts.destroyed++;
    } else if (versionMoved && row.applied_hash === row.config_hash && drifted(ctx, uid, m)) {
      // Changed behind our back (dashboard, flyctl): put the pod's config back.
      ctx.store.update(uid, { applied_hash: null });
      ctx.schedule(uid);
      counts.updated++;
    } else if (STOPPED.has(m.state) && wantsRestart(ctx.store.get(uid)!)) {
      ctx.schedule(uid);
      counts.updated++;
    } else {
      counts.unchanged++;
    }
  }

  for (const row of index.values()) {
    if (seen.has(row.uid)) continue;
    if (row.desired !== "run") {
      ctx.schedule(row.uid);
      counts.destroyed++;
    } else if (row.machine_id !== null && !SETTLING.has(row.machine_state ?? "")) {
      // Listed nowhere: destroyed behind our back (or not yet visible). The step re-reads it before recreating.
      ctx.store.update(row.uid, { machine_state: null });
      ctx.schedule(row.uid);
      counts.created++;
    } else if (row.machine_id === null && !row.terminal) {
      ctx.schedule(row.uid);
      counts.created++;
    } else {
      counts.unchanged++;
    }
  }

  counts.orphansDestroyed = await sweepOrphans(ctx, candidates);
  return counts;
}

async function listClusterMachines(ctx: ReconcileContext): Promise<Machine[]> {
  const out: Machine[] = [];
  let cursor: string | undefined;
  do {
    await budgeted(ctx, "list", ctx.app);
    const page = await ctx.client.listMachines(ctx.app, { metadata: { machinelet_cluster: ctx.cluster }, limit: PAGE_LIMIT, cursor });
    out.push(...page.machines);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

/**
 * Destroys machines of this cluster that no stored pod owns, once seen on two consecutive passes
 * (a pod may be in flight); a tombstoned UID is known deleted and goes at once. Machines without
 * this cluster's metadata never reach this point.
 */
async function sweepOrphans(ctx: ReconcileContext, candidates: Machine[]): Promise<number> {
  let destroyed = 0;
  for (const m of candidates) {
    const uid = m.config?.metadata?.machinelet_pod_uid ?? null;
    const prev = ctx.sql.exec<{ last_pass: number }>("SELECT last_pass FROM orphans WHERE machine_id = ?", m.id).toArray()[0];
    const confirmed = prev?.last_pass === ctx.pass - 1 || (uid !== null && ctx.store.isTombstoned(uid));
    if (!confirmed) {
      ctx.sql.exec("INSERT INTO orphans (machine_id, uid, last_pass) VALUES (?, ?, ?) ON CONFLICT(machine_id) DO UPDATE SET last_pass = excluded.last_pass", m.id, uid, ctx.pass);
      continue;
    }
    await budgeted(ctx, "delete", m.id);
    try {
      await ctx.client.deleteMachine(ctx.app, m.id, { force: true });
    } catch (e) {
      if (!(e instanceof MachinesApiError && e.kind === "not_found")) throw e;
    }
    ctx.sql.exec("DELETE FROM orphans WHERE machine_id = ?", m.id);
    destroyed++;
  }
  const still = new Set(candidates.map((m) => m.id));
  for (const { machine_id } of ctx.sql.exec<{ machine_id: string }>("SELECT machine_id FROM orphans").toArray()) {
    if (!still.has(machine_id)) ctx.sql.exec("DELETE FROM orphans WHERE machine_id = ?", machine_id);
  }
  return destroyed;
}

function drifted(ctx: ReconcileContext, uid: string, m: Machine): boolean {
  const configJson = ctx.store.get(uid)?.config_json;
  return !!configJson && configDrifted(JSON.parse(configJson), m.config);
}

/** A pass runs in the background, so it simply waits for its budget slot. */
async function budgeted(ctx: ReconcileContext, action: BudgetAction, scope: string): Promise<void> {
  const wait = ctx.budget.reserve(action, scope);
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}
