import type { MachineConfig } from "../../machines/machine-config";
import type { Machine } from "../../machines/schemas";
import type { Service } from "../../shared/k8s";
import { machineConfigHash } from "../translate/machine-config-hash";
import { MACHINE_METADATA } from "../translate/machine-facts";
import { forwarderMachineConfig, SERVICE_METADATA } from "../translate/service-plan";
import { configDrifted } from "./config-drift";
import { budgeted, ignoreNotFound, type ServiceAppsContext } from "./service-apps";
import type { ServiceApp } from "./state";

/**
 * Drift repair for a Service's forwarder machine: what was done to it behind machinelet's back
 * (`fly machine destroy`, `fly machine update`, a clone, a machine that failed) is found by one
 * list call on the Service app and undone. The Service app is machinelet's alone (its name carries
 * the Service UID), so every machine in it is either the forwarder or one too many.
 */

/** How often a Service's forwarder is looked at when no reconcile is asked for: one list call per Service app. */
export const FORWARDER_REPAIR_INTERVAL_MS = 60_000;

/** States a machine leaves only to be gone. */
const GONE: ReadonlySet<string> = new Set(["destroying", "destroyed"]);

export interface ForwarderRepairInput {
  /** The Service app's machines as listed. */
  machines: readonly Machine[];
  /** The forwarder the row records. */
  recorded: { id: string | null; version: string | null };
  /** The forwarder config the Service asks for now (undefined: none can be made yet). */
  planned: MachineConfig | undefined;
  cluster: string;
  serviceUid: string;
}

export interface ForwarderRepair {
  /**
   * What the row must record before the Service converges: `forget` (the recorded forwarder is
   * gone: converging creates another), `record` (this machine is the forwarder, at this version;
   * `drifted`: its config is no longer ours, so converging updates it), or `none`.
   */
  row: { kind: "none" } | { kind: "forget"; id: string } | { kind: "record"; id: string; version: string | null; adopted: boolean; drifted: boolean };
  /** Machines in the Service app that are not the forwarder. */
  destroy: string[];
  /** The forwarder failed: start it (a stopped one is idle, autostopped, and Fly Proxy starts it on the next connection). */
  start: string | null;
}

/**
 * Pure: decides the repair from one listing. The forwarder is the recorded machine while it is
 * live, else a live one carrying this cluster's and this Service's metadata (a create whose answer
 * was lost); every other live machine is extra. Drift is the listed config no longer carrying the
 * planned one in the form Fly echoes it (config-drift.ts: Fly's own additions are not drift).
 * Stopped and suspended are not drift: forwarders autostop when idle.
 */
export function planForwarderRepair(input: ForwarderRepairInput): ForwarderRepair {
  const live = input.machines.filter((m) => !GONE.has(m.state));
  const ours = (m: Machine) => m.config?.metadata?.[MACHINE_METADATA.cluster] === input.cluster && m.config?.metadata?.[SERVICE_METADATA.serviceUid] === input.serviceUid;
  const keep = live.find((m) => m.id === input.recorded.id) ?? live.find(ours);
  const destroy = live.filter((m) => m !== keep).map((m) => m.id);
  if (!keep) return { row: input.recorded.id ? { kind: "forget", id: input.recorded.id } : { kind: "none" }, destroy, start: null };
  const adopted = keep.id !== input.recorded.id;
  const drifted = input.planned !== undefined && configDrifted(asFlyEchoes(input.planned), keep.config);
  const version = keep.version ?? null;
  const row = adopted || drifted || version !== input.recorded.version ? { kind: "record" as const, id: keep.id, version, adopted, drifted } : { kind: "none" as const };
  // An update launches the machine anyway; otherwise only a failed one needs a start.
  return { row, destroy, start: keep.state === "failed" && !drifted ? keep.id : null };
}

/** The config as Fly answers it (not a MachineConfig any more): a service's `autostop` comes back as false/true for "off"/"stop". */
function asFlyEchoes(config: MachineConfig): unknown {
  const services = config.services?.map((s) => (s.autostop === "off" ? { ...s, autostop: false } : s.autostop === "stop" ? { ...s, autostop: true } : s));
  return services ? { ...config, services } : config;
}

/**
 * Lists the Service app's machines, destroys the extra ones, records what the forwarder now is
 * (so that converging the Service recreates or updates it) and starts it when it failed.
 */
export async function repairForwarder(ctx: ServiceAppsContext, row: ServiceApp, svc: Service): Promise<void> {
  const uid = row.serviceUid;
  const ids = `Service ${row.namespace}/${row.name}`;
  const { machines } = await budgeted(ctx, uid, "list", row.app, () => ctx.fly.listMachines(row.app));
  const planned = forwarderMachineConfig({ cluster: ctx.cluster, service: svc, clusterFlycast: ctx.clusterFlycast, appPorts: ctx.appPorts.all() });
  const plan = planForwarderRepair({ machines, recorded: { id: row.machineId, version: row.machineVersion }, planned, cluster: ctx.cluster, serviceUid: uid });
  for (const id of plan.destroy) {
    await budgeted(ctx, uid, "delete", id, () => ctx.fly.deleteMachine(row.app, id, { force: true }).catch(ignoreNotFound));
    ctx.decide({ action: "destroy-extra-forwarder", outcome: "done", reason: `${ids}: machine ${id} in ${row.app} is not its forwarder (made outside machinelet): destroyed`, machine: id });
  }
  const change = plan.row;
  if (change.kind === "forget") {
    ctx.rows.forgetMachine(uid, ctx.now());
    ctx.decide({ action: "recreate-forwarder", outcome: "scheduled", reason: `${ids}: forwarder ${change.id} is gone (destroyed outside machinelet): another will be created`, machine: change.id });
  } else if (change.kind === "record") {
    // Unchanged config keeps its hash; a drifted or adopted one gets none, so converging updates it.
    const hash = change.drifted ? null : change.adopted ? (planned ? machineConfigHash(planned) : null) : row.appliedHash;
    ctx.rows.recordMachine(uid, { id: change.id, version: change.version }, hash, ctx.now());
    if (change.adopted) ctx.decide({ action: "adopt-forwarder", outcome: "done", reason: `${ids}: its forwarder is ${change.id}, found by metadata`, machine: change.id });
    if (change.drifted) ctx.decide({ action: "repair-forwarder-drift", outcome: "scheduled", reason: `${ids}: forwarder ${change.id}'s config was changed outside machinelet: the Service's config goes back`, machine: change.id });
  }
  if (plan.start) {
    const id = plan.start;
    await budgeted(ctx, uid, "start", id, () => ctx.fly.startMachine(row.app, id));
    ctx.decide({ action: "start-forwarder", outcome: "done", reason: `${ids}: forwarder ${id} failed: started`, machine: id });
  }
}
