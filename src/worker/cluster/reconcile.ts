import type { ReconcileCounts } from "../../shared/contract";
import { MachinesApiError } from "../../machines/errors";
import type { Machine } from "../../machines/schemas";
import { GONE, MACHINE_METADATA, observedDigest, SETTLING, STOPPED, wantsRestart } from "../translate/machine-facts";
import { adoptedHash, configDrifted } from "./config-drift";
import { ADOPTIONS_DETAILED, adoptionSummary, podIds, type Decision } from "./decision-log";
import type { MachinesPort } from "./machines-port";
import type { BudgetAction, RateBudget } from "./rate-budget";
import { reconcileSpares } from "./spare-pool";
import { bindClaimed } from "./spare-claim";
import type { OrphanStore, PodRecord, PodStore, SpareStore, StatusToStore } from "./state";

export type { ReconcileCounts };

export interface ReconcileContext {
  machines: MachinesPort;
  app: string;
  cluster: string;
  pods: PodStore;
  orphans: OrphanStore;
  spares: SpareStore;
  budget: RateBudget;
  /** Pass number, increasing by one per pass. */
  pass: number;
  /**
   * The last pass that swept orphans, if any: an orphan must be seen by two consecutive sweeps,
   * and a pass that failed before its sweep (a 429 on its list) is not one between them.
   */
  previousSweep: number | undefined;
  now(): number;
  /** Sleeps (a pass waits for its budget slot). */
  sleep(ms: number): Promise<void>;
  schedule(uid: string): void;
  /** `schedule` for many pods at once (one write). */
  scheduleAll(uids: readonly string[]): void;
  /** Drops the due work of pods a step would find nothing to do for (one write). */
  dropWork(uids: readonly string[]): void;
  refreshStatus(rec: PodRecord | undefined): void;
  /** The status `rec` implies when it differs from the one it holds (written with the row by the caller). */
  statusOf(rec: PodRecord): StatusToStore | undefined;
  /** Appends the statuses `recs` hold to the feed (one write), after they were stored. */
  announceStatuses(recs: readonly PodRecord[]): void;
  decide(d: Decision): void;
}

const PAGE_LIMIT = 1000;
/** Adoptions read and written per statement (json-batches.ts bounds the statement's size too). */
const ADOPT_BATCH = 500;

/**
 * One level-based pass over the whole cluster: list its machines (ceil(N/1000) calls), compare
 * with the stored pods, and schedule or do what closes the gap. An idle cluster costs the list
 * calls and nothing else. `listed`: the cluster's machines as listed just before (a snapshot
 * listed them to bind the pods it admits), instead of listing again.
 */
export async function reconcilePass(ctx: ReconcileContext, listed?: readonly Machine[]): Promise<ReconcileCounts> {
  const counts: ReconcileCounts = { created: 0, updated: 0, destroyed: 0, orphansDestroyed: 0, unchanged: 0 };
  const machines = listed ?? (await listClusterMachines(ctx));
  const seen = new Set<string>();
  const candidates: Machine[] = [];
  const spareMachines: Machine[] = [];

  const index = ctx.pods.reconcileIndex();
  const adoptions: Adoption[] = [];
  for (const m of machines) {
    if (!ofCluster(m, ctx.cluster)) continue;
    const meta = m.config?.metadata ?? {};
    if (meta[MACHINE_METADATA.spare] !== undefined && meta[MACHINE_METADATA.podUid] === undefined) {
      spareMachines.push(m);
      continue;
    }
    const uid = meta[MACHINE_METADATA.podUid] ?? "";
    const entry = index.get(uid);
    if (!entry || (entry.machineId !== null && entry.machineId !== m.id)) {
      candidates.push(m);
      continue;
    }
    seen.add(uid);
    if (entry.machineId === null) {
      // Created (or claimed from a spare) by a step that did not live to record it: recorded below, in batches.
      adoptions.push({ uid, m });
      counts.updated++;
      continue;
    }
    // Only a new version can carry a changed config; a machine still settling is looked at next pass.
    const versionMoved = (m.version ?? null) !== entry.machineVersion;
    if (versionMoved && SETTLING.has(m.state)) {
      counts.unchanged++;
      continue;
    }
    // Read whole only where it acts: a changed observation, a drift check, a restart decision.
    let rec: PodRecord | undefined;
    if (observedDigest(m) !== entry.observedDigest) rec = ctx.pods.recordObserved(uid, m, ctx.now());
    ctx.refreshStatus(rec);
    const current = () => (rec ??= ctx.pods.get(uid)!);
    if (entry.desired !== "run") {
      ctx.schedule(uid);
      counts.destroyed++;
    } else if (versionMoved && entry.appliedHash === entry.configHash && current().config !== null && configDrifted(current().config, m.config)) {
      // Changed behind our back (dashboard, flyctl): put the pod's config back.
      ctx.decide({ action: "repair-drift", outcome: "scheduled", reason: "the machine's config was changed outside machinelet (dashboard, flyctl): the pod's config goes back", pod: podIds(current()), machine: m.id });
      ctx.pods.requestConfigUpdate(uid, ctx.now());
      ctx.schedule(uid);
      counts.updated++;
    } else if (STOPPED.has(m.state) && wantsRestart(current().pod.spec.restartPolicy, current().lastMachine?.events)) {
      ctx.decide({ action: "restart", outcome: "scheduled", reason: `the machine is ${m.state} and restartPolicy ${current().pod.spec.restartPolicy ?? "Always"} restarts it`, pod: podIds(current()), machine: m.id });
      ctx.schedule(uid);
      counts.updated++;
    } else {
      counts.unchanged++;
    }
  }

  for (const entry of index.values()) {
    if (seen.has(entry.uid)) continue;
    if (entry.desired !== "run") {
      ctx.schedule(entry.uid);
      counts.destroyed++;
    } else if (entry.machineId !== null && !SETTLING.has(entry.machineState ?? "")) {
      // Listed nowhere: destroyed behind our back (or not yet visible). The step re-reads it before recreating.
      ctx.pods.requestReread(entry.uid, ctx.now());
      ctx.schedule(entry.uid);
      counts.created++;
    } else if (entry.machineId === null && !entry.terminal && entry.configHash !== null) {
      // (A pod without a config waits for a Secret, a ConfigMap or a valid image name: nothing to create.)
      ctx.schedule(entry.uid);
      counts.created++;
    } else {
      counts.unchanged++;
    }
  }

  for (let i = 0; i < adoptions.length; i += ADOPT_BATCH) adopt(ctx, adoptions.slice(i, i + ADOPT_BATCH), i === 0);
  const summary = adoptionSummary(adoptions.length);
  if (summary) ctx.decide(summary);
  candidates.push(...(await reconcileSpares(ctx, spareMachines)));
  counts.orphansDestroyed = await sweepOrphans(ctx, candidates);
  return counts;
}

interface Adoption {
  uid: string;
  m: Machine;
}

/**
 * Binds each pod to the machine found for it (a spare it had claimed, or a machine carrying its
 * config or not), publishes their status and schedules those with something left to do; after a
 * loss of state these are thousands, so the pods are read, written, published and scheduled in
 * one statement each per batch. `first`: the batch whose first adoptions are explained one by one.
 */
function adopt(ctx: ReconcileContext, batch: readonly Adoption[], first: boolean): void {
  const prev = ctx.pods.getMany(batch.map((a) => a.uid));
  const plain: Array<{ from: PodRecord; m: Machine; appliedHash: string | null }> = [];
  const recorded: PodRecord[] = [];
  // A claim is recorded before its update is issued; only a pod that claimed a spare has one, and most clusters have none.
  const claims = ctx.spares.anyClaimed();
  for (const { uid, m } of batch) {
    const from = prev.get(uid)!;
    const claim = claims ? ctx.spares.claimedBy(uid) : undefined;
    if (claim?.machineId === m.id) {
      bindClaimed(ctx, from, claim, m);
      const rec = ctx.pods.get(uid);
      if (rec) recorded.push(rec);
    } else plain.push({ from, m, appliedHash: adoptedHash(from, m.config) });
  }
  const written = ctx.pods.recordMachines(plain, ctx.now(), (rec) => ctx.statusOf(rec));
  ctx.announceStatuses(written.filter((rec, i) => rec.statusJson !== plain[i]!.from.statusJson));
  recorded.push(...written);
  if (first) {
    for (const { uid, m } of batch.slice(0, ADOPTIONS_DETAILED)) {
      const rec = recorded.find((r) => r.uid === uid);
      ctx.decide({ action: "adopt", outcome: "done", reason: "found the pod's machine, created by a step that did not live to record it", pod: rec && podIds(rec), machine: m.id });
    }
  }
  // The snapshot that brought the pods scheduled their creates; a step of a settled pod would only read it and stop.
  ctx.dropWork(recorded.filter((rec) => rec.settledAsWanted).map((rec) => rec.uid));
  ctx.scheduleAll(recorded.filter((rec) => !rec.settledAsWanted).map((rec) => rec.uid));
}

/** Carries this cluster's metadata and is not on its way out (those are neither owners nor orphans). */
function ofCluster(m: Machine, cluster: string): boolean {
  return m.config?.metadata?.[MACHINE_METADATA.cluster] === cluster && !GONE.has(m.state);
}

/**
 * The machines of a listing that a pod of this cluster may be bound to, by pod UID, as the pass
 * binds them (a spare carries no pod UID until claimed); the first listed wins.
 */
export function machinesByPod(machines: readonly Machine[], cluster: string): Map<string, Machine> {
  const out = new Map<string, Machine>();
  for (const m of machines) {
    const uid = m.config?.metadata?.[MACHINE_METADATA.podUid];
    if (uid !== undefined && ofCluster(m, cluster) && !out.has(uid)) out.set(uid, m);
  }
  return out;
}

/** Every machine of the cluster, a page (up to 1000) per list call, each call within the list budget. */
export async function listClusterMachines(ctx: Pick<ReconcileContext, "machines" | "app" | "cluster" | "budget" | "sleep">): Promise<Machine[]> {
  const out: Machine[] = [];
  let cursor: string | undefined;
  do {
    await budgeted(ctx, "list", ctx.app);
    const page = await ctx.machines.listMachines(ctx.app, { metadata: { [MACHINE_METADATA.cluster]: ctx.cluster }, limit: PAGE_LIMIT, cursor });
    out.push(...page.machines);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

/**
 * Destroys machines of this cluster that no stored pod owns, once seen by two consecutive sweeps
 * (a pod may be in flight); a tombstoned UID is known deleted and goes at once. Machines without
 * this cluster's metadata never reach this point.
 */
async function sweepOrphans(ctx: ReconcileContext, candidates: Machine[]): Promise<number> {
  let destroyed = 0;
  for (const m of candidates) {
    const uid = m.config?.metadata?.[MACHINE_METADATA.podUid] ?? null;
    const twice = ctx.previousSweep !== undefined && ctx.orphans.lastSeen(m.id) === ctx.previousSweep;
    const confirmed = twice || (uid !== null && ctx.pods.isTombstoned(uid));
    if (!confirmed) {
      ctx.orphans.sighted(m.id, uid, ctx.pass);
      continue;
    }
    await budgeted(ctx, "delete", m.id);
    try {
      await ctx.machines.deleteMachine(ctx.app, m.id, { force: true });
    } catch (e) {
      if (!(e instanceof MachinesApiError && e.kind === "not_found")) throw e;
    }
    ctx.orphans.forget(m.id);
    ctx.decide({
      action: "destroy-orphan",
      outcome: "done",
      reason: twice ? "no pod owns it; seen on two consecutive passes" : `its pod ${uid} is deleted`,
      machine: m.id,
    });
    destroyed++;
  }
  ctx.orphans.keepOnly(new Set(candidates.map((m) => m.id)));
  return destroyed;
}

/** A pass runs in the background, so it simply waits for its budget slot. */
async function budgeted(ctx: Pick<ReconcileContext, "budget" | "sleep">, action: BudgetAction, scope: string): Promise<void> {
  const wait = ctx.budget.reserve(action, scope);
  if (wait > 0) await ctx.sleep(wait);
}
