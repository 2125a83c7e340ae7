import { MachinesApiError } from "../../machines/errors";
import type { Service } from "../../shared/k8s";
import { MACHINE_METADATA } from "../translate/machine-facts";
import { isAddressed, SERVICE_METADATA } from "../translate/service-plan";
import { retryDelayMs } from "./backoff";
import type { Decision } from "./decision-log";
import { FORWARDER_REPAIR_INTERVAL_MS, repairForwarder } from "./forwarder-repair";
import type { RateBudget } from "./rate-budget";
import { budgeted, BudgetWait, convergeServiceApp, deleteServiceApp, ensureFlycast, type ServiceAppsContext, type ServiceFlyPort } from "./service-apps";
import type { ClusterState } from "./state";

export interface ServiceSyncDeps {
  state: Pick<ClusterState, "objects" | "appPorts" | "serviceApps" | "meta">;
  fly: () => ServiceFlyPort;
  cluster: () => string;
  clusterApp: () => string;
  /** FLY_ORG; without it, the cluster app's own org. */
  org: string | undefined;
  /** The cluster app is usable (AppProvisioner.ensure): nothing is done before. */
  appReady(): Promise<boolean>;
  budget: RateBudget;
  now: () => number;
  decide(d: Decision): void;
  /** These Services just got their address (pods waiting for their env variables may start). */
  addressed(services: { namespace: string; name: string }[]): void;
  /** Arms the object's alarm (it reads `nextDueAt`). */
  retryAt(): Promise<void>;
}

/**
 * Brings every addressed Service's Fly app, Flycast address, forwarder and public addresses to
 * the stored Services (service-apps.ts), deletes those of Services that are gone and, with
 * `sweep` (a reconcile asked for; the periodic pass at most every 5 minutes; only while the
 * cluster has Services or Service apps), deletes Service apps of this cluster that no row records (state lost) and whose Service
 * does not exist. One run at a time; a run asked for meanwhile follows it.
 * A Service waiting for budget or retrying after an error does not hold up the others; the next
 * run is due at the earliest of their times.
 */
/** The sweep lists every app of the org: at most once in this long. */
const SWEEP_INTERVAL_MS = 5 * 60_000;

export class ServiceSync {
  #running: Promise<void> | undefined;
  #rerun: { sweep: "now" | "due" | false } | undefined;
  #dueAt: number | undefined;
  /** In memory: after an eviction the first pass sweeps. */
  #nextSweepAt = 0;
  /** When each Service's forwarder is next looked at for drift (in memory: after an eviction, the first run looks). */
  readonly #nextRepairAt = new Map<string, number>();
  readonly #attempts = new Map<string, number>();

  constructor(private readonly deps: ServiceSyncDeps) {}

  /** When a Service waiting for budget or a retry is next due (undefined: nothing waits). */
  nextDueAt(): number | undefined {
    return this.#dueAt;
  }

  /** Never rejects: a run that fails as a whole is a failed `sync-services` decision (logged, on the page, counted). */
  run(sweep: "now" | "due" | false = false): Promise<void> {
    if (this.#running) {
      const before = this.#rerun?.sweep ?? false;
      this.#rerun = { sweep: before === "now" || sweep === "now" ? "now" : before || sweep };
      return this.#running;
    }
    this.#running = (async () => {
      try {
        if (!(await this.deps.appReady())) return;
        await this.#runOnce(sweep);
        while (this.#rerun) {
          const next = this.#rerun;
          this.#rerun = undefined;
          await this.#runOnce(next.sweep);
        }
      } catch (e) {
        this.deps.decide({ action: "sync-services", outcome: "failed", reason: `the Service sync failed and is retried next pass: ${e instanceof Error ? e.message : String(e)}` });
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }

  async #runOnce(wants: "now" | "due" | false): Promise<void> {
    const { objects, serviceApps } = this.deps.state;
    const wanted = objects.listKind("Service").map((o) => o.object as Service).filter(isAddressed);
    const rows = serviceApps.all();
    // A cluster without Services costs no call (not even its Flycast address).
    if (wanted.length === 0 && rows.length === 0) return;
    const sweep = wants === "now" || (wants === "due" && this.deps.now() >= this.#nextSweepAt);
    this.#dueAt = undefined;
    const ctx = await this.#context();
    if (!ctx) return;
    const addressed: { namespace: string; name: string }[] = [];
    for (const svc of wanted) {
      await this.#repair(ctx, svc, wants === "now");
      const before = serviceApps.get(svc.metadata.uid)?.address ?? null;
      const row = await this.#attempt(svc.metadata.uid, `Service ${svc.metadata.namespace}/${svc.metadata.name}`, () => convergeServiceApp(ctx, svc));
      if (before === null && row?.address) addressed.push({ namespace: svc.metadata.namespace, name: svc.metadata.name });
    }
    const live = new Set(wanted.map((s) => s.metadata.uid));
    for (const uid of this.#nextRepairAt.keys()) if (!live.has(uid)) this.#nextRepairAt.delete(uid);
    for (const key of this.#attempts.keys()) if (key.startsWith("repair:") && !live.has(key.slice("repair:".length))) this.#attempts.delete(key);
    for (const row of rows) {
      if (!live.has(row.serviceUid)) await this.#attempt(row.serviceUid, `Service ${row.namespace}/${row.name}`, () => deleteServiceApp(ctx, row));
    }
    if (sweep && (await this.#attempt("sweep", "the Service app sweep", () => this.#sweep(ctx, live)))) this.#nextSweepAt = this.deps.now() + SWEEP_INTERVAL_MS;
    if (addressed.length > 0) this.deps.addressed(addressed);
    if (this.#dueAt !== undefined) await this.deps.retryAt();
  }

  /**
   * Looks for drift of the Service's forwarder (forwarder-repair.ts) before the Service converges:
   * on every reconcile asked for, else at most every FORWARDER_REPAIR_INTERVAL_MS per Service (one
   * list call on its app each time). Nothing to look at before a forwarder is recorded: its create
   * looks up by metadata itself.
   */
  async #repair(ctx: ServiceAppsContext, svc: Service, asked: boolean): Promise<void> {
    const uid = svc.metadata.uid;
    const row = this.deps.state.serviceApps.get(uid);
    const now = this.deps.now();
    if (!row?.appCreated || row.machineId === null) return void this.#nextRepairAt.set(uid, now + FORWARDER_REPAIR_INTERVAL_MS);
    // Asked for: due until done (a run that waits for list budget looks when its slot opens).
    if (asked) this.#nextRepairAt.set(uid, now);
    if (now < (this.#nextRepairAt.get(uid) ?? 0)) return;
    const done = await this.#attempt(`repair:${uid}`, `Service ${svc.metadata.namespace}/${svc.metadata.name}'s forwarder check`, async () => {
      await repairForwarder(ctx, row, svc);
      return true;
    });
    if (done) this.#nextRepairAt.set(uid, this.deps.now() + FORWARDER_REPAIR_INTERVAL_MS);
  }

  /** Runs one Service's step; a budget wait or an error sets when the next run is due instead of failing the run. */
  async #attempt<T>(key: string, what: string, step: () => Promise<T>): Promise<T | undefined> {
    try {
      const r = await step();
      this.#attempts.delete(key);
      return r;
    } catch (e) {
      if (e instanceof BudgetWait) return void this.#due(this.deps.now() + e.ms);
      const attempts = this.#attempts.get(key) ?? 0;
      this.#attempts.set(key, attempts + 1);
      const delay = retryDelayMs(e, attempts);
      this.#due(this.deps.now() + delay);
      const status = e instanceof MachinesApiError ? `${e.status} ` : "";
      this.deps.decide({ action: "retry", outcome: "retry", reason: `${what}: ${status}${e instanceof Error ? e.message : String(e)}; next try in ${Math.ceil(delay / 100) / 10} s` });
      return undefined;
    }
  }

  #due(at: number): void {
    this.#dueAt = Math.min(this.#dueAt ?? Infinity, at);
  }

  /** The org and the cluster app's Flycast address, looked up once and kept; undefined (retry due) while they cannot be. */
  async #context(): Promise<ServiceAppsContext | undefined> {
    const d = this.deps;
    const { meta } = d.state;
    const fly = d.fly();
    const base = { fly, budget: d.budget, now: d.now };
    const clusterApp = d.clusterApp();
    const ready = await this.#attempt("cluster-app", `cluster app ${clusterApp}'s org and Flycast address`, async () => {
      if (meta.get("org") === undefined) {
        const org = d.org ?? (await budgeted(base, "cluster-app", "get_app", clusterApp, () => fly.getApp(clusterApp))).organization?.slug;
        if (!org) throw new Error(`cannot tell the org of ${clusterApp}: set FLY_ORG`);
        meta.set("org", org);
      }
      if (meta.get("cluster_flycast") === undefined) meta.set("cluster_flycast", await ensureFlycast(base, clusterApp));
      return true;
    });
    if (!ready) return undefined;
    return { ...base, cluster: d.cluster(), clusterApp, org: meta.get("org")!, clusterFlycast: meta.get("cluster_flycast")!, rows: d.state.serviceApps, appPorts: d.state.appPorts, decide: d.decide };
  }

  /**
   * Service apps of this cluster that no row records (the cluster's state was lost, or a create
   * landed after its Service went): deleted when their forwarder carries this cluster's metadata
   * and a Service UID that is not stored. An app with no such machine is left alone: nothing
   * proves it is this cluster's (another cluster's app may share the name prefix).
   */
  async #sweep(ctx: ServiceAppsContext, live: ReadonlySet<string>): Promise<true> {
    const prefix = `${ctx.clusterApp}-s-`;
    const recorded = new Set(ctx.rows.all().map((r) => r.app));
    const { apps } = await budgeted(ctx, "sweep", "list", ctx.org, () => ctx.fly.listApps(ctx.org));
    for (const app of apps) {
      if (!app.name.startsWith(prefix) || recorded.has(app.name)) continue;
      const { machines } = await budgeted(ctx, `sweep:${app.name}`, "list", app.name, () => ctx.fly.listMachines(app.name, { metadata: { [MACHINE_METADATA.cluster]: ctx.cluster } }));
      const owner = machines.map((m) => m.config?.metadata?.[SERVICE_METADATA.serviceUid]).find((uid) => uid !== undefined);
      if (owner === undefined || live.has(owner)) continue;
      await budgeted(ctx, `sweep:${app.name}`, "app", ctx.org, () => ctx.fly.deleteApp(app.name, true));
      ctx.decide({ action: "delete-orphan-service-app", outcome: "done", reason: `${app.name} carries this cluster's forwarder for Service UID ${owner}, which no longer exists` });
    }
    return true;
  }
}
