/**
 * Exits and boots seen in seconds. Between full reconcile passes (every RECONCILE_INTERVAL_S), the
 * object lists only this cluster's machines that are `stopped` or `suspended` (Fly's list `state`
 * filter plus the `machinelet_cluster` metadata filter: one call, whatever the cluster's size, since
 * a stopped machine is the exception) and records each one whose observation changed, with its exit
 * events, so the pod's phase and exit code follow within one watch interval. While any pod's
 * machine is settling (booting, stopping), the list takes `started` machines too, every second
 * (Fly's list budget), one page per look (the next look takes the next page): one call observes
 * every machine that settled, where a `wait` per machine would hold a connection each
 * (wait-lanes.ts); each pod whose machine settled is scheduled for its next step. The call is made
 * only when a list token is free and another stays for the pass: it never queues, so a full
 * pass's pages keep their slots.
 *
 * Measured by `npm run bench` (`exit_to_status_p50_ms` / `p99`, `warm_cold_s`). Not covered: a
 * machine that flyd restarts in place (restart policy always/on-failure) and check results of
 * running machines show at the next full pass, unless a machine is settling meanwhile.
 */
import type { Machine } from "../../machines/schemas";
import { MACHINE_METADATA, observedDigest, SETTLING, STOPPED, wantsRestart } from "../translate/machine-facts";
import type { MachinesPort } from "./machines-port";
import type { RateBudget } from "./rate-budget";
import type { PodRecord, PodStore } from "./state";

export const EXIT_WATCH_INTERVAL_MS = 2_000;
/** While a machine settles: Fly allows one list a second per app (burst 3), the pass keeps the burst. */
export const SETTLE_WATCH_INTERVAL_MS = 1_000;
const PAGE_LIMIT = 1000;

export interface ExitWatchContext {
  machines: MachinesPort;
  app: string;
  cluster: string;
  pods: PodStore;
  budget: RateBudget;
  now(): number;
  schedule(uid: string): void;
  refreshStatus(rec: PodRecord | undefined): void;
}

export interface ExitWatchLook {
  /** Pods whose observation changed. */
  updated: number;
  /** Whether a machine was settling (the list took started machines, and the next look comes sooner). */
  settling: boolean;
  /** The next page of started machines, for the next look. */
  nextCursor?: string;
}

/** One look (from `cursor`, a page a look while settling); undefined when no list token was free. */
export async function exitWatchPass(ctx: ExitWatchContext, cursor?: string): Promise<ExitWatchLook | undefined> {
  // A token is left for the pass: taking the last one keeps the bucket empty, and then a pass's list
  // that Fly's clock sees a few ms early is a 429 (the pass fails, and an orphan waits for two in a row).
  if (!ctx.budget.tryReserve("list", ctx.app, 1)) return undefined;
  const settling = ctx.pods.anySettling();
  const { machines, nextCursor } = await ctx.machines.listMachines(ctx.app, {
    metadata: { [MACHINE_METADATA.cluster]: ctx.cluster },
    state: settling ? ["started", "stopped", "suspended"] : ["stopped", "suspended"],
    limit: PAGE_LIMIT,
    cursor: settling ? cursor : undefined,
  });
  let updated = 0;
  for (const m of machines) if (noteObserved(ctx, m)) updated++;
  return { updated, settling, nextCursor: settling ? nextCursor : undefined };
}

function noteObserved(ctx: ExitWatchContext, m: Machine): boolean {
  const uid = m.config?.metadata?.[MACHINE_METADATA.podUid];
  if (!uid || m.config?.metadata?.[MACHINE_METADATA.cluster] !== ctx.cluster) return false;
  const seen = ctx.pods.observedOf(uid);
  if (!seen || seen.machineId !== m.id || seen.observedDigest === observedDigest(m)) return false;
  const settled = seen.machineState !== null && SETTLING.has(seen.machineState);
  // Fly's list is eventually consistent: while our own update (a claim) settles, a listing of another version is older than what we hold.
  if (settled && seen.machineVersion !== null && m.version !== seen.machineVersion) return false;
  const rec = ctx.pods.recordObserved(uid, m, ctx.now());
  // Checks still coming up: the pod's step reads the machine and follows them (converge.ts).
  if (rec && settled && m.state === "started" && (m.checks ?? []).some((c) => c.status !== "passing")) ctx.pods.requestReread(uid, ctx.now());
  ctx.refreshStatus(rec);
  if (rec && (settled || rec.desired !== "run" || (STOPPED.has(m.state) && wantsRestart(rec.pod.spec.restartPolicy, rec.lastMachine?.events)))) ctx.schedule(uid);
  return true;
}

export interface ExitWatcherDeps {
  pods: PodStore;
  /** The watch's context, or undefined while the app is not known to be ready. */
  context(): ExitWatchContext | undefined;
  /** Whether due work is draining (the alarm cannot return meanwhile, so the watch keeps its own pace). */
  draining(): boolean;
  /** Starts draining due work, if any (what the watch scheduled). */
  drain(): void;
  /** Arms the object's alarm for whatever is due next: the watch's loop ended, its next look is the alarm's again. */
  rearm(): Promise<void>;
  now(): number;
}

/** The watch's schedule in the cluster object: when it is due, and its loop while work drains. */
export class ExitWatcher {
  /** In memory only: after an eviction the first alarm simply looks at once (from the first page). */
  #nextAt = 0;
  #interval = EXIT_WATCH_INTERVAL_MS;
  #cursor: string | undefined;
  #running = false;

  constructor(private readonly d: ExitWatcherDeps) {}

  /**
   * When the alarm should look next (never, while no machine may run). While the watch's loop runs
   * it looks by itself, and an alarm at its due time would find it running and be armed for that
   * same past time again, a wake-up loop: the alarm then is only a backstop, an interval later,
   * should the loop end with its instance; the loop rearms the alarm when it ends.
   */
  nextAt(): number {
    if (!this.d.pods.anyMachineMayRun()) return Infinity;
    return this.#running ? Math.max(this.#nextAt, this.d.now()) + this.#interval : this.#nextAt;
  }

  due(): boolean {
    return this.d.now() >= this.#nextAt && this.d.pods.anyMachineMayRun();
  }

  /**
   * Looks now if due, and again every interval while due work drains (a step may wait on a
   * settling machine, and no alarm fires while the drain holds the alarm handler). One loop at a
   * time: a call while it runs returns at once. A failed look waits for the next one.
   */
  async run(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      do {
        if (this.due()) await this.#once();
        if (this.d.draining()) await new Promise((r) => setTimeout(r, this.#interval));
      } while (this.d.draining());
    } finally {
      this.#running = false;
    }
    await this.d.rearm();
  }

  async #once(): Promise<void> {
    this.#nextAt = this.d.now() + this.#interval;
    const ctx = this.d.context();
    if (!ctx) return;
    const look = await exitWatchPass(ctx, this.#cursor).catch(() => undefined);
    if (look) {
      this.#cursor = look.nextCursor;
      this.#interval = look.settling ? SETTLE_WATCH_INTERVAL_MS : EXIT_WATCH_INTERVAL_MS;
      this.#nextAt = this.d.now() + this.#interval;
    }
    this.d.drain();
  }
}
