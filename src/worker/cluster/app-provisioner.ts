import { MachinesApiError } from "../../machines/errors";
import type { Problem } from "../translate/machine-facts";
import { retryDelayMs } from "./backoff";
import type { Decision } from "./decision-log";
import type { AppsPort } from "./machines-port";
import type { ClusterState, PodRecord } from "./state";

/** The cluster's Fly app cannot be used (missing and not creatable, or the API refuses): nothing can converge. */
export class AppUnavailable extends Error {
  override readonly name = "AppUnavailable";
}

export interface AppProvisionerDeps {
  state: Pick<ClusterState, "meta" | "pods">;
  apps: () => AppsPort;
  appName: () => string;
  /** Org to create the app in; without it a missing app is an error. */
  org: string | undefined;
  now: () => number;
  refreshStatus(rec: PodRecord | undefined): void;
  /** Arms the object's alarm for the retry. */
  retryAt(at: number): Promise<void>;
  decide(d: Decision): void;
}

/**
 * Makes sure the cluster's app exists (creating it in the org when configured) before any machine
 * call. One check at a time; once found, remembered in meta. While it is unusable, pods waiting
 * for a machine say why, and the check is retried with backoff.
 */
export class AppProvisioner {
  #check: Promise<boolean> | undefined;
  /** After a failed check, no other before this time (in memory: after an eviction the first caller checks at once). */
  #notBefore = 0;

  constructor(private readonly deps: AppProvisionerDeps) {}

  ensure(): Promise<boolean> {
    if (this.deps.state.meta.get("app_ready") === this.deps.appName()) return Promise.resolve(true);
    // Every caller (due work, syncs, reconcile) waits out the backoff instead of asking Fly again.
    if (!this.#check && this.deps.now() < this.#notBefore) return Promise.resolve(false);
    this.#check ??= this.#checkApp().finally(() => (this.#check = undefined));
    return this.#check;
  }

  /** While the app is unusable, when it will next be checked (0 when a check may run now). */
  notBefore(): number {
    return this.#notBefore;
  }

  /** Why the app is not usable, as last seen. */
  lastError(): string | undefined {
    return this.deps.state.meta.get("app_error");
  }

  async #checkApp(): Promise<boolean> {
    const { meta } = this.deps.state;
    const app = this.deps.appName();
    const apps = this.deps.apps();
    try {
      await apps.getApp(app);
    } catch (e) {
      if (!(e instanceof MachinesApiError && e.kind === "not_found")) return this.#notReady(e);
      if (!this.deps.org) return this.#notReady(new Error(`Fly app ${app} does not exist and FLY_ORG is not set to create it`));
      try {
        await apps.createApp(app, this.deps.org);
        this.deps.decide({ action: "create-app", outcome: "done", reason: `Fly app ${app} did not exist: created in org ${this.deps.org}` });
      } catch (ce) {
        if (!(ce instanceof MachinesApiError && ce.status === 422)) return this.#notReady(ce);
      }
    }
    meta.set("app_ready", app);
    meta.set("app_attempts", 0);
    this.#notBefore = 0;
    return true;
  }

  async #notReady(e: unknown): Promise<false> {
    const { meta, pods } = this.deps.state;
    const attempts = meta.get("app_attempts") ?? 0;
    const message = e instanceof Error ? e.message : String(e);
    meta.set("app_attempts", attempts + 1);
    meta.set("app_error", message);
    const problem: Problem = { reason: "ProviderAppUnavailable", message, terminal: false };
    for (const rec of pods.setProblemOfWaitingPods(problem, this.deps.now())) this.deps.refreshStatus(rec);
    const delay = retryDelayMs(e, attempts);
    this.#notBefore = this.deps.now() + delay;
    this.deps.decide({ action: "check-app", outcome: "retry", reason: `Fly app ${this.deps.appName()} is not usable: ${message}; next check in ${Math.ceil(delay / 100) / 10} s` });
    await this.deps.retryAt(this.deps.now() + delay);
    return false;
  }
}
