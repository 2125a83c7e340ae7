import type { MachinesClient } from "../../machines/client";
import { reviseDependents, type DependentsContext } from "./dependents";
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
  client(): Pick<MachinesClient, "setSecrets" | "listSecrets" | "createVolume" | "listVolumes" | "getVolume" | "deleteVolume" | "extendVolume">;
  app(): string;
  /** Runs `change` in one transaction with a context that re-translates pods and schedules them, then starts the work it scheduled. */
  revise(change: (ctx: DependentsContext) => void): Promise<void>;
  now(): number;
}

/**
 * What the Secrets and claims pods reference becomes on Fly (app secrets, volumes), as the object
 * runs it: each sync one at a time (a call while one runs joins it); one that had to wait for its
 * budget slot runs again when the slot opens (one timer per sync, never stacked); what a sync wrote
 * re-translates the pods that use it (a waiting pod starts, a consumer rolls, a grown volume restarts).
 */
export class ReferenceSyncs {
  readonly #secrets: SerialRun<boolean>;
  readonly #volumes: SerialRun<undefined>;

  constructor(private readonly d: ReferenceSyncDeps) {
    this.#secrets = new SerialRun((sweep) => this.#secretPass(sweep), false);
    this.#volumes = new SerialRun(() => this.#volumePass(), undefined);
  }

  /** Writes the Secret keys pods reference and unsets what none needs; `sweep` also lists the app's secrets and removes machinelet-named ones nothing records. */
  secrets(sweep: boolean): Promise<void> {
    return this.#secrets.run(sweep);
  }

  /** Makes, grows and releases the Fly Volumes of claims. */
  volumes(): Promise<void> {
    return this.#volumes.run(undefined);
  }

  async #secretPass(sweep: boolean): Promise<number | undefined> {
    if (!(await this.d.ensureApp())) return undefined;
    const { pods, objects, flySecrets } = this.d.state;
    const r = await syncSecrets({ secrets: this.d.client(), app: this.d.app(), pods, objects, flySecrets, budget: this.d.budget, now: this.d.now, sweep });
    if (r.written.length) await this.d.revise((ctx) => r.written.forEach((s) => reviseDependents(ctx, "Secret", s.namespace, s.name)));
    return r.waitMs;
  }

  async #volumePass(): Promise<number | undefined> {
    if (!(await this.d.ensureApp())) return undefined;
    const { pods, objects, claimVolumes } = this.d.state;
    const r = await syncVolumes({ volumes: this.d.client(), app: this.d.app(), pods, objects, claims: claimVolumes, budget: this.d.budget, now: this.d.now });
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
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly pass: (arg: A) => Promise<number | undefined>,
    private readonly retryArg: A,
  ) {}

  run(arg: A): Promise<void> {
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
