import { rfc3339 } from "./clock";
import { imageRef } from "./image-ref";
import { activeLease } from "./leases";
import type { MachineEventRecord, MachineRecord, MachineVersionRecord } from "./model";
import { checkStatus, reportedCheckNames } from "./network/checks";
import type { EmulatorState } from "./state";

/** Events embedded in a machine response (the events endpoint serves more). */
const EMBEDDED_EVENTS = 10;

export interface ViewOptions {
  includeLease?: boolean;
  /** Only on the create response of a machine created with `lease_ttl`. */
  nonce?: string;
  /** An older version (`?version=`): its config, reported as `replaced`. */
  version?: MachineVersionRecord;
  /** `summary=true` on list: no config, checks, events, host_status or nonce. */
  summary?: boolean;
}

export const eventView = (e: MachineEventRecord) => ({ ...e });

function checksView(st: EmulatorState, m: MachineRecord) {
  const names = reportedCheckNames(m);
  if (names.length === 0) return undefined;
  const started = m.state === "started";
  return names.map((name) => {
    const status = checkStatus(st, m, name);
    return { name, status, output: status === "passing" ? "Success" : started ? `check reported ${status}` : `machine is ${m.state}`, updated_at: rfc3339(m.updatedAt) };
  });
}

/** A machine as the Machines API returns it (`Machine` schema). */
export function machineView(st: EmulatorState, m: MachineRecord, opts: ViewOptions = {}) {
  const config = opts.version?.config ?? m.config;
  const version = opts.version?.version ?? m.version;
  const lease = opts.includeLease ? activeLease(st, m) : undefined;
  const base = {
    id: m.id,
    name: m.name,
    state: opts.version ? "replaced" : m.state,
    region: m.region,
    image_ref: imageRef(config.image),
    instance_id: version,
    version,
    private_ip: m.privateIp,
    created_at: rfc3339(m.createdAt),
    updated_at: rfc3339(m.updatedAt),
    cordoned: m.cordoned,
    ...(lease ? { lease: { owner: lease.owner, expires_at: Math.floor(lease.expiresAtMs / 1000), description: lease.description } } : {}),
  };
  if (opts.summary) return base;
  const checks = checksView(st, m);
  return {
    ...base,
    config,
    events: m.events.slice(-EMBEDDED_EVENTS).reverse().map(eventView),
    ...(checks ? { checks } : {}),
    host_status: "ok" as const,
    ...(opts.nonce ? { nonce: opts.nonce } : {}),
  };
}
