import type { MachinesClient } from "../../machines/client";
import { reviseDependents, type DependentsContext } from "./dependents";
import type { Decision } from "./decision-log";
import type { RateBudget } from "./rate-budget";
import { syncSecrets } from "./secret-sync";
import type { ClusterState } from "./state";
import { syncVolumes } from "./volume-sync";

export interface ReferenceSyncDeps {
  state: ClusterState;
  /** The cluster's one budget (the syncs hold their slots in it, as pods do). */
  budget: RateBudget;
  /** false while the app is not usable (the provisioner retries it on its own). */
  ensureApp(): Promise<boolean>;
  client(): Pick<MachinesClient, "setSecrets" | "listSecrets" | "createVolume" | "listVolumes" | "deleteVolume" | "extendVolume">;
  app(): string;
  /** Runs `change` in one transaction with a context that re-translates pods and schedules them, then starts the work it scheduled. */
  revise(change: (ctx: DependentsContext) => void): Promise<void>;
  now(): number;
  decide(d: Decision): void;
}

/** A reconcile pass's volume sweep: its number, and whether the pass was asked for (a relist) rather than periodic. */
export interface VolumeSweepRequest {
  pass: number;
  asked: boolean;
}

/** Without claims to look after, the volume sweep (one list call) runs at most this often. */
const VOLUME_SWEEP_INTERVAL_MS = 5 * 60_000;

/**
 * What the Secrets and claims pods reference becomes on Fly (app secrets, volumes), as the object
 * runs it: each sync one at a time (a call while one runs joins it, or, asking for more than a
 * retry does, such as a sweep, runs once after it); one that had to wait for its
 * budget slot runs again when the slot opens (one timer per sync, never stacked); what a sync wrote
 * re-translates the pods that use it (a waiting pod starts, a consumer rolls, a grown volume restarts).
 */
export class ReferenceSyncs {
  readonly #secrets: SerialRun<boolean>;
  readonly #volumes: SerialRun<VolumeSweepRequest | undefined>;
  /** In memory: after an eviction the first pass sweeps. */
  #nextVolumeSweepAt = 0;

  constructor(private readonly d: ReferenceSyncDeps) {
    this.#secrets = new SerialRun((sweep) => this.#secretPass(sweep), false);
    this.#volumes = new SerialRun<VolumeSweepRequest | undefined>((sweep) => this.#volumePass(sweep), undefined);
  }

  /** Writes the Secret keys pods reference and unsets what none needs; `sweep` also lists the app's secrets and removes machinelet-named ones nothing records. */
  secrets(sweep: boolean): Promise<void> {
    return this.#secrets.run(sweep);
  }

  /**
   * Makes and grows the Fly Volumes of claims; with `sweep` (a reconcile pass) also lists the app's
   * volumes to adopt, report and release (volume-sweep.ts): on every pass while a deleted claim's
   * volume may remain, on a pass asked for while the cluster has claims, else every 5 minutes.
   */
  volumes(sweep?: VolumeSweepRequest): Promise<void> {
    return this.#volumes.run(sweep);
  }

  async #secretPass(sweep: boolean): Promise<number | undefined> {
    if (!(await this.d.ensureApp())) return undefined;
    const { pods, objects, flySecrets } = this.d.state;
    const r = await syncSecrets({ secrets: this.d.client(), app: this.d.app(), pods, objects, flySecrets, budget: this.d.budget, now: this.d.now, sweep });
    if (r.written.length) await this.d.revise((ctx) => r.written.forEach((s) => reviseDependents(ctx, "Secret", s.namespace, s.name)));
    return r.waitMs;
  }

  async #volumePass(request: VolumeSweepRequest | undefined): Promise<number | undefined> {
    if (!(await this.d.ensureApp())) return undefined;
    const { pods, objects, claimVolumes, volumeOrphans, ops } = this.d.state;
    const now = this.d.now();
    const sweep =
      request && (claimVolumes.unsettledReleases() > 0 || now >= this.#nextVolumeSweepAt || (request.asked && (claimVolumes.any() || objects.uidsOfKind("PersistentVolumeClaim").length > 0)))
        ? { pass: request.pass }
        : undefined;
    const r = await syncVolumes({ volumes: this.d.client(), app: this.d.app(), pods, objects, claims: claimVolumes, orphans: volumeOrphans, budget: this.d.budget, now: this.d.now, decide: this.d.decide }, sweep);
    if (sweep && r.waitMs === undefined) this.#nextVolumeSweepAt = now + VOLUME_SWEEP_INTERVAL_MS;
    if (r.destroyed > 0) ops.add("machinelet_reconcile_repairs_total", { kind: "orphan_volumes" }, r.destroyed);
    if (r.bound.length || r.restart.length) {
      await this.d.revise((ctx) => {
        r.bound.forEach((claim) => reviseDependents(ctx, "PersistentVolumeClaim", claim.namespace, claim.name));
        for (const uid of r.restart) {
          pods.requestConfigUpdate(uid, this.d.now());
          ctx.schedule(uid);
        }
      });
    }
    return r.waitMs;
  }
}

/** Runs `pass` one at a time; a pass that returns a wait is run again (with `retryArg`) after it. */
class SerialRun<A> {
  #running: Promise<void> | undefined;
  #queued: Promise<void> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly pass: (arg: A) => Promise<number | undefined>,
    private readonly retryArg: A,
  ) {}

  /** A run with another argument than the retry's, asked for while one runs, is queued to run after it (once). */
  run(arg: A): Promise<void> {
    if (this.#running && arg !== this.retryArg) {
      return (this.#queued ??= this.#running
        .catch(() => undefined)
        .then(() => {
          this.#queued = undefined;
          return this.run(arg);
        }));
    }
    this.#running ??= (async () => {
      try {
        const waitMs = await this.pass(arg);
        if (waitMs !== undefined) {
          if (this.#timer !== undefined) clearTimeout(this.#timer);
          this.#timer = setTimeout(() => void this.run(this.retryArg).catch(() => undefined), waitMs);
        }
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }
}
