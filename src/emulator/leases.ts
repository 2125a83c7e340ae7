import { rfc3339 } from "./clock";
import { badRequest, conflict, FlyError, notFound } from "./errors";
import { newLeaseNonce } from "./ids";
import type { LeaseRecord, MachineRecord } from "./model";
import type { EmulatorState } from "./state";

export const LEASE_NONCE_HEADER = "fly-machine-lease-nonce";
const DEFAULT_TTL_S = 30;

/** The machine's lease if it has not expired (an expired lease is dropped). */
export function activeLease(st: EmulatorState, m: MachineRecord): LeaseRecord | undefined {
  if (m.lease && m.lease.expiresAtMs <= st.now()) m.lease = undefined;
  return m.lease;
}

/** Fly's wording, e.g. "machine ID 2879325b42d318 lease currently held by …@tokens.fly.io, expires at 2026-05-14T10:41:08Z". */
function heldBy(m: MachineRecord, lease: LeaseRecord): FlyError {
  return conflict(`machine ID ${m.id} lease currently held by ${lease.owner}, expires at ${rfc3339(lease.expiresAtMs)}`);
}

/** Guarded operations (update, start, stop, restart, suspend, cordon, uncordon, destroy) need the holder's nonce. */
export function assertLeaseHolder(st: EmulatorState, m: MachineRecord, nonce: string | undefined): void {
  const lease = activeLease(st, m);
  if (lease && lease.nonce !== nonce) throw heldBy(m, lease);
}

/** exec is refused outright while any lease is active. */
export function assertNotLeased(st: EmulatorState, m: MachineRecord): void {
  const lease = activeLease(st, m);
  if (lease) throw heldBy(m, lease);
}

export interface AcquireRequest {
  /** Positive whole seconds (checked by the routes); default 30. */
  ttlSeconds: number | undefined;
  description: string | undefined;
  owner: string;
  nonce: string | undefined;
}

/** Acquires a new lease, or refreshes the held one when the request carries its nonce (same nonce back). */
export function acquireLease(st: EmulatorState, m: MachineRecord, req: AcquireRequest): LeaseRecord {
  const ttl = req.ttlSeconds ?? DEFAULT_TTL_S;
  const current = activeLease(st, m);
  if (current && current.nonce !== req.nonce) throw heldBy(m, current);
  m.lease = {
    nonce: current?.nonce ?? newLeaseNonce(),
    owner: current?.owner ?? req.owner,
    description: req.description ?? current?.description ?? "",
    expiresAtMs: st.now() + ttl * 1000,
    version: m.version,
  };
  return m.lease;
}

export function releaseLease(st: EmulatorState, m: MachineRecord, nonce: string | undefined): void {
  if (!nonce) throw badRequest(`the ${LEASE_NONCE_HEADER} header is required to release a lease`);
  const lease = activeLease(st, m);
  if (!lease) throw notFound("lease");
  if (lease.nonce !== nonce) throw heldBy(m, lease);
  m.lease = undefined;
}

/** The wire shape of lease responses: an envelope the spec leaves out (machines-api.md §4). */
export function leaseEnvelope(lease: LeaseRecord) {
  return {
    status: "success",
    data: { nonce: lease.nonce, expires_at: Math.floor(lease.expiresAtMs / 1000), owner: lease.owner, description: lease.description, version: lease.version },
  };
}
