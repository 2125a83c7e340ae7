import { MachinesApiError } from "../../machines/errors";
import type { MachinesClient } from "../../machines/client";
import type { Machine } from "../../machines/schemas";
import { frontsLoadBalancer, type Service } from "../../shared/k8s";
import { machineConfigHash } from "../translate/machine-config-hash";
import { MACHINE_METADATA } from "../translate/machine-facts";
import { forwarderMachineConfig, SERVICE_METADATA, serviceAppName } from "../translate/service-plan";
import type { Decision } from "./decision-log";
import { BudgetWait, paced, type BudgetAction, type RateBudget } from "./rate-budget";
import type { AppPortStore, ServiceApp, ServiceAppStore } from "./state";

/** The Machines API calls a Service's Fly resources take. */
export type ServiceFlyPort = Pick<
  MachinesClient,
  "getApp" | "createApp" | "deleteApp" | "listApps" | "listIps" | "allocatePrivateIp" | "allocatePublicIp" | "releaseIp" | "createMachine" | "updateMachine" | "getMachine" | "listMachines" | "deleteMachine" | "startMachine"
>;

export interface ServiceAppsContext {
  fly: ServiceFlyPort;
  cluster: string;
  clusterApp: string;
  /** The org Service apps are created in (the cluster app's). */
  org: string;
  /** The cluster app's Flycast address: where the forwarders send each Service port's app port. */
  clusterFlycast: string;
  rows: ServiceAppStore;
  appPorts: AppPortStore;
  /** The cluster's one budget (shared with convergence): each caller holds its own slots. */
  budget: RateBudget;
  now(): number;
  decide(d: Decision): void;
}

export { BudgetWait };

/** The forwarder machine's name in its Service app (one per app). */
const FORWARDER_NAME = "forwarder";

/** Calls `fn` once `action`'s budget on `scope` allows it (the caller `key` keeps its slot across tries), else throws a BudgetWait. */
export function budgeted<T>(ctx: Pick<ServiceAppsContext, "budget">, key: string, action: BudgetAction, scope: string, fn: () => Promise<T>): Promise<T> {
  return paced(ctx.budget, key, action, scope, fn);
}

/** Flycast (private) addresses are Fly's `fdaa:` ULAs; public v6 are anything else with a colon. */
const isFlycast = (ip: string) => ip.toLowerCase().startsWith("fdaa:");

/**
 * The app's Flycast address on the org's default network: the one it has, else a new one. Always
 * listed first, so an allocation whose answer was lost is found instead of made twice.
 */
export async function ensureFlycast(ctx: Pick<ServiceAppsContext, "fly" | "budget">, app: string): Promise<string> {
  const { ips } = await budgeted(ctx, app, "ips", app, () => ctx.fly.listIps(app));
  const found = ips.find((i) => isFlycast(i.ip));
  if (found) return found.ip;
  return (await budgeted(ctx, app, "ips", app, () => ctx.fly.allocatePrivateIp(app))).ip;
}

/**
 * One step toward the Service's Fly resources, level-based: plan the row (the app's name) before
 * anything is created; make the app (Fly's idempotency key is the Service UID; a taken name is
 * ours, since the name carries the UID); give it a Flycast address; make or update its forwarder
 * machine so each TCP Service port forwards to `[cluster Flycast]:<app port>`; for a LoadBalancer,
 * a public IPv6 and the shared IPv4 on that same app (it carries only this Service's ports), which
 * are released when the Service stops being one. Returns the row as it now stands.
 */
export async function convergeServiceApp(ctx: ServiceAppsContext, svc: Service): Promise<ServiceApp> {
  const { uid, namespace, name } = svc.metadata;
  const ids = `Service ${namespace}/${name}`;
  let row = ctx.rows.get(uid) ?? ctx.rows.plan({ serviceUid: uid, namespace, name, app: serviceAppName(ctx.clusterApp, svc.metadata) }, ctx.now());
  if (!row.appCreated) {
    const created = await budgeted(ctx, uid, "app", ctx.org, async () => {
      try {
        await ctx.fly.createApp(row.app, ctx.org, { idempotencyKey: uid });
        return true;
      } catch (e) {
        if (!(e instanceof MachinesApiError && e.status === 422)) throw e;
        await ctx.fly.getApp(row.app); // taken: by our own earlier create (the name carries the UID)
        return false;
      }
    });
    ctx.rows.appCreated(uid, ctx.now());
    ctx.decide({ action: "create-service-app", outcome: "done", reason: created ? `${ids} has no Fly app: created ${row.app} in org ${ctx.org}` : `${ids}: its app ${row.app} exists already (an earlier create): adopted` });
  }
  if (!row.address) {
    const address = await ensureFlycast(ctx, row.app);
    ctx.rows.setAddress(uid, address, ctx.now());
    ctx.decide({ action: "allocate-address", outcome: "done", reason: `${ids} gets Flycast address ${address} on ${row.app}` });
  }
  row = ctx.rows.get(uid)!;
  const config = forwarderMachineConfig({ cluster: ctx.cluster, service: svc, clusterFlycast: ctx.clusterFlycast, appPorts: ctx.appPorts.all() });
  if (config) {
    const hash = machineConfigHash(config);
    if (!row.machineId) await createForwarder(ctx, row, config, hash, ids);
    else if (row.appliedHash !== hash) await updateForwarder(ctx, row, config, hash, ids);
  }
  await ensurePublic(ctx, ctx.rows.get(uid)!, frontsLoadBalancer(svc.spec), ids);
  return ctx.rows.get(uid)!;
}

async function createForwarder(ctx: ServiceAppsContext, row: ServiceApp, config: NonNullable<ReturnType<typeof forwarderMachineConfig>>, hash: string, ids: string): Promise<void> {
  const uid = row.serviceUid;
  if (row.machineCreateIntentAt !== null) {
    const found = await findForwarder(ctx, row);
    if (found) {
      // Its config as Fly echoes it may differ in form from ours: the next step updates it once.
      ctx.rows.recordMachine(uid, { id: found.id, version: found.version ?? null }, null, ctx.now());
      ctx.decide({ action: "adopt-forwarder", outcome: "done", reason: `${ids}: found forwarder ${found.id} by metadata after a create whose answer was lost`, machine: found.id });
      return;
    }
  }
  const m = await budgeted(ctx, uid, "create", row.app, async () => {
    ctx.rows.markMachineCreateIntent(uid, ctx.now());
    try {
      return await ctx.fly.createMachine(row.app, { name: FORWARDER_NAME, config });
    } catch (e) {
      if (e instanceof MachinesApiError && !e.mayHaveSucceeded) ctx.rows.clearMachineCreateIntent(uid, ctx.now());
      throw e;
    }
  });
  ctx.rows.recordMachine(uid, { id: m.id, version: m.version ?? null }, hash, ctx.now());
  ctx.decide({ action: "create-forwarder", outcome: "done", reason: `${ids}: forwarder machine for ${config.services?.length ?? 0} port(s)`, machine: m.id });
}

async function updateForwarder(ctx: ServiceAppsContext, row: ServiceApp, config: NonNullable<ReturnType<typeof forwarderMachineConfig>>, hash: string, ids: string): Promise<void> {
  const id = row.machineId!;
  try {
    const m = await budgeted(ctx, row.serviceUid, "update", id, () => ctx.fly.updateMachine(row.app, id, { config, current_version: row.machineVersion ?? undefined }));
    ctx.rows.recordMachine(row.serviceUid, { id, version: m.version ?? null }, hash, ctx.now());
    ctx.decide({ action: "update-forwarder", outcome: "done", reason: `${ids}: its ports or app ports changed`, machine: id });
  } catch (e) {
    if (!(e instanceof MachinesApiError)) throw e;
    if (e.kind === "not_found") {
      ctx.rows.forgetMachine(row.serviceUid, ctx.now());
      ctx.decide({ action: "recreate-forwarder", outcome: "scheduled", reason: `${ids}: forwarder ${id} is gone: another will be created`, machine: id });
    } else if (e.kind === "conflict" || e.kind === "precondition") {
      // Our version is stale: read the current one; the next step updates against it.
      const m = await budgeted(ctx, row.serviceUid, "get", id, () => ctx.fly.getMachine(row.app, id));
      ctx.rows.recordMachine(row.serviceUid, { id, version: m.version ?? null }, null, ctx.now());
    }
    throw e;
  }
}

/** The Service's forwarder, by metadata (never a machine of another cluster or Service). */
async function findForwarder(ctx: ServiceAppsContext, row: ServiceApp): Promise<Machine | undefined> {
  const { machines } = await budgeted(ctx, row.serviceUid, "list", row.app, () =>
    ctx.fly.listMachines(row.app, { metadata: { [MACHINE_METADATA.cluster]: ctx.cluster, [SERVICE_METADATA.serviceUid]: row.serviceUid } }),
  );
  return machines.find((m) => m.state !== "destroyed");
}

/**
 * A LoadBalancer's public addresses on its Service app: a dedicated IPv6 and the shared IPv4
 * (which Fly Proxy serves for HTTP and TLS only). Listed before allocating; released when the
 * Service is no longer a LoadBalancer.
 */
async function ensurePublic(ctx: ServiceAppsContext, row: ServiceApp, wanted: boolean, ids: string): Promise<void> {
  if (!wanted && row.publicV6 === null && row.publicV4 === null) return;
  if (wanted && row.publicV6 !== null && row.publicV4 !== null) return;
  const uid = row.serviceUid;
  const { ips } = await budgeted(ctx, uid, "ips", row.app, () => ctx.fly.listIps(row.app));
  const publicIps = ips.filter((i) => !isFlycast(i.ip));
  if (!wanted) {
    for (const ip of publicIps) await budgeted(ctx, uid, "ips", row.app, () => ctx.fly.releaseIp(row.app, ip.ip).catch(ignoreNotFound));
    ctx.rows.setPublic(uid, null, null, ctx.now());
    ctx.decide({ action: "release-public-address", outcome: "done", reason: `${ids} is no longer a LoadBalancer machinelet fronts: its public addresses are released` });
    return;
  }
  // Recorded once both exist (the edge is shown whole); a lost answer is found by the next listing.
  const v6 = publicIps.find((i) => i.ip.includes(":"))?.ip ?? (await budgeted(ctx, uid, "ips", row.app, () => ctx.fly.allocatePublicIp(row.app, "v6"))).ip;
  const v4 = publicIps.find((i) => i.shared === true || !i.ip.includes(":"))?.ip ?? (await budgeted(ctx, uid, "ips", row.app, () => ctx.fly.allocatePublicIp(row.app, "shared_v4"))).ip;
  ctx.rows.setPublic(uid, v6, v4, ctx.now());
  ctx.decide({ action: "allocate-public-address", outcome: "done", reason: `${ids} is a LoadBalancer: public ${v6} and shared ${v4} on ${row.app}` });
}

/**
 * The Service is gone (or no longer has an address): delete its app, which takes its machine and
 * addresses with it. Done once Fly accepts the deletion or says the app does not exist.
 */
export async function deleteServiceApp(ctx: ServiceAppsContext, row: ServiceApp): Promise<void> {
  // Also when the row is only planned: a create may have landed without our hearing of it.
  await budgeted(ctx, row.serviceUid, "app", ctx.org, () => ctx.fly.deleteApp(row.app, true).catch(ignoreNotFound));
  ctx.rows.forget(row.serviceUid);
  ctx.decide({ action: "delete-service-app", outcome: "done", reason: `Service ${row.namespace}/${row.name} is gone: deleted ${row.app} with its forwarder and addresses` });
}

/** A delete whose target is already gone did what it was for. */
export function ignoreNotFound(e: unknown): undefined {
  if (e instanceof MachinesApiError && e.kind === "not_found") return undefined;
  throw e;
}
