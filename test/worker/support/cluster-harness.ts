/**
 * Convergence without HTTP: one cluster's real stores (SQLite inside a Durable Object), the real
 * intake, convergence steps and reconcile passes, an in-memory fake of the Machines calls and a
 * clock that moves only when the test (or a step's "look again in N ms") moves it.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import type { EventResult, ReconcileCounts, WatchEvent } from "../../../src/shared/contract";
import type { Decision } from "../../../src/worker/cluster/decision-log";
import { convergePod, type ConvergeContext, type StepResult } from "../../../src/worker/cluster/converge";
import { applyEvent } from "../../../src/worker/cluster/intake";
import { translateContextOf } from "../../../src/worker/cluster/object-lookups";
import { ImagePullBackoff } from "../../../src/worker/cluster/image-pull-backoff";
import { RateBudget } from "../../../src/worker/cluster/rate-budget";
import { reconcilePass } from "../../../src/worker/cluster/reconcile";
import { prewarmSpares } from "../../../src/worker/cluster/spare-pool";
import { openClusterState, type ClusterState, type PodRecord } from "../../../src/worker/cluster/state";
import { StatusPublisher } from "../../../src/worker/cluster/status-publisher";
import { WaitLanes } from "../../../src/worker/cluster/wait-lanes";
import { exitWatchPass } from "../../../src/worker/cluster/exit-watch";
import { FakeMachines } from "./fake-machines";
import { DEFAULT_SPARE_TTL_MS, type SpareSettings } from "../../../src/worker/translate/spare-template";

export const CLUSTER = "table";
const APP = `fks-${CLUSTER}`;
/** Steps one `converge` may take before the test calls it a livelock. */
const MAX_STEPS = 30;

export interface Harness {
  fly: FakeMachines;
  state: ClusterState;
  clock: { now: number };
  event(type: WatchEvent["type"], object: unknown): EventResult;
  /** Runs convergence steps for `uid` until one says done, moving the clock by each "again in" delay. */
  converge(uid: string): Promise<StepResult[]>;
  /** Runs one convergence step for `uid` (attempts as given) without moving the clock. */
  step(uid: string, attempts?: number): Promise<StepResult>;
  /** One reconcile pass, then convergence of everything it scheduled. */
  pass(): Promise<ReconcileCounts>;
  pod(uid: string): PodRecord | undefined;
  /** One pre-warming look (spare-pool.ts); returns how many spares are still missing. */
  prewarm(): Promise<number>;
  budget: RateBudget;
  /** The steps' wait lanes (a test takes them to see what steps do when none is free). */
  waits: WaitLanes;
  /** One look of the machine watch (exit-watch.ts), then convergence of every pod it scheduled. */
  watch(): Promise<void>;
  /** Every decision the steps and passes logged, in order. */
  decisions: Decision[];
}

/** The convergence context of one cluster's real stores, calling `fly`. */
export function convergeContextOf(state: ClusterState, fly: FakeMachines, budget: RateBudget, status: StatusPublisher, now: () => number, decide: (d: Decision) => void, spareSettings: SpareSettings, waits = new WaitLanes()): ConvergeContext {
  return {
    machines: fly,
    app: APP,
    cluster: CLUSTER,
    pods: state.pods,
    spares: state.spares,
    spareSettings,
    budget,
    waits,
    imagePulls: new ImagePullBackoff(),
    now,
    refreshStatus: (rec) => status.refresh(rec),
    showStatusEarly: (rec) => status.showEarly(rec),
    finish: (uid) => status.finish(uid),
    decide,
    budgetWaited: () => {},
  };
}

export async function withCluster(test: (h: Harness) => Promise<void>, spareSettings: SpareSettings = { count: null, ttlMs: DEFAULT_SPARE_TTL_MS }): Promise<void> {
  const stub = env.CLUSTER.getByName(`${CLUSTER}-${crypto.randomUUID()}`);
  await runInDurableObject(stub, async (_object, durable) => {
    const clock = { now: Date.UTC(2026, 0, 1) };
    const now = () => clock.now;
    const state = openClusterState(durable.storage);
    const fly = new FakeMachines(now);
    const budget = new RateBudget(now);
    const status = new StatusPublisher(state, now);
    let pass = 0;
    let previousSweep: number | undefined;
    const scheduled = new Set<string>();
    const decisions: Decision[] = [];
    const decide = (d: Decision) => void decisions.push(d);

    const waits = new WaitLanes();
    const converge = convergeContextOf(state, fly, budget, status, now, decide, spareSettings, waits);
    const runSteps = async (uid: string): Promise<StepResult[]> => {
      const results: StepResult[] = [];
      let attempts = 0;
      for (let i = 0; i < MAX_STEPS; i++) {
        const r = await convergePod(converge, uid, attempts);
        results.push(r);
        if (r.next === "done") return results;
        clock.now += r.inMs;
        if (r.countAttempt) attempts++;
      }
      throw new Error(`pod ${uid} did not converge in ${MAX_STEPS} steps: ${JSON.stringify(results.slice(-5))}`);
    };

    await test({
      decisions,
      fly,
      state,
      clock,
      event: (type, object) =>
        applyEvent(
          { pods: state.pods, objects: state.objects, claims: state.claimVolumes, appPorts: state.appPorts, cluster: CLUSTER, lookups: translateContextOf(CLUSTER, state), now: clock.now, schedule: (uid) => scheduled.add(uid), status, decide },
          { type, object },
        ),
      converge: runSteps,
      step: (uid, attempts = 0) => convergePod(converge, uid, attempts),
      pass: async () => {
        const n = ++pass;
        const counts = await reconcilePass({
          machines: fly,
          app: APP,
          cluster: CLUSTER,
          pods: state.pods,
          orphans: state.orphans,
          spares: state.spares,
          budget,
          pass: n,
          previousSweep,
          now,
          sleep: async (ms) => void (clock.now += ms),
          schedule: (uid) => scheduled.add(uid),
          scheduleAll: (uids) => uids.forEach((uid) => scheduled.add(uid)),
          dropWork: (uids) => uids.forEach((uid) => scheduled.delete(uid)),
          refreshStatus: (rec) => status.refresh(rec),
          statusOf: (rec) => status.statusOf(rec),
          announceStatuses: (recs) => status.announceAll(recs),
          decide,
        });
        previousSweep = n;
        for (const uid of [...scheduled]) {
          scheduled.delete(uid);
          await runSteps(uid);
        }
        return counts;
      },
      pod: (uid) => state.pods.get(uid),
      prewarm: async () => (await prewarmSpares({ machines: fly, app: APP, pods: state.pods, spares: state.spares, budget, now, sleep: async (ms) => void (clock.now += ms), decide })).missing,
      budget,
      waits,
      watch: async () => {
        await exitWatchPass({ machines: fly, app: APP, cluster: CLUSTER, pods: state.pods, budget, now, schedule: (uid) => scheduled.add(uid), refreshStatus: (rec) => status.refresh(rec) });
        for (const uid of [...scheduled]) {
          scheduled.delete(uid);
          await runSteps(uid);
        }
      },
    });
  });
}
