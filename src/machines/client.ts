/**
 * The Machines API calls, one method per endpoint, grouped by family; transport.ts does the HTTP.
 */
import { z } from "zod";
import {
  appSchema,
  appSecretsSchema,
  createAppResponseSchema,
  execResponseSchema,
  extendVolumeSchema,
  leaseEnvelopeSchema,
  listAppsSchema,
  listIpsSchema,
  ipAssignmentSchema,
  machineEventSchema,
  machineSchema,
  metadataSchema,
  secretsWriteSchema,
  volumeSchema,
  waitResponseSchema,
  type CreateMachineRequest,
  type CreateVolumeRequest,
  type ExecRequest,
  type Lease,
  type Machine,
  type SignalName,
  type StopRequest,
  type UpdateMachineRequest,
} from "./schemas";
import { MachinesTransport, noContent, type MachinesClientOptions, type Query } from "./transport";

export interface ListMachinesParams {
  /** `metadata.<key>=<value>` filters, ANDed by the API. */
  metadata?: Record<string, string>;
  state?: string[];
  includeDeleted?: boolean;
  region?: string;
  limit?: number;
  cursor?: string;
}

export type WaitState = "started" | "stopped" | "suspended" | "destroyed" | "failed" | "settled";

/**
 * One adapter for the Fly Machines API. Every response is parsed; every failure is a
 * `MachinesApiError` with a kind the caller can act on. No retries here: the retry and
 * rate-budget policy belongs to the callers.
 */
export class MachinesClient {
  private readonly http: MachinesTransport;

  constructor(opts: MachinesClientOptions) {
    this.http = new MachinesTransport(opts);
  }

  // ---- apps
  getApp(app: string) {
    return this.http.request({ op: "getApp", method: "GET", path: `/v1/apps/${enc(app)}`, schema: appSchema });
  }
  /** `idempotencyKey`: a repeat of a create whose answer was lost answers as the first did (Fly's `idempotency_key`). */
  createApp(name: string, orgSlug: string, opts: { network?: string; idempotencyKey?: string } = {}) {
    return this.http.request({
      op: "createApp",
      method: "POST",
      path: "/v1/apps",
      body: { name, org_slug: orgSlug, network: opts.network, idempotency_key: opts.idempotencyKey },
      schema: createAppResponseSchema,
    });
  }
  listApps(orgSlug: string) {
    return this.http.request({ op: "listApps", method: "GET", path: "/v1/apps", query: { org_slug: orgSlug }, schema: listAppsSchema });
  }
  deleteApp(app: string, force = false) {
    return this.http.request({ op: "deleteApp", method: "DELETE", path: `/v1/apps/${enc(app)}`, query: { force: force || undefined }, schema: noContent });
  }

  // ---- machines
  createMachine(app: string, req: CreateMachineRequest): Promise<Machine> {
    return this.http.request({ op: "createMachine", method: "POST", path: `/v1/apps/${enc(app)}/machines`, body: req, schema: machineSchema });
  }
  getMachine(app: string, id: string): Promise<Machine> {
    return this.http.request({ op: "getMachine", method: "GET", path: machinePath(app, id), schema: machineSchema });
  }
  async listMachines(app: string, p: ListMachinesParams = {}): Promise<{ machines: Machine[]; nextCursor?: string }> {
    const query: Query = {
      include_deleted: p.includeDeleted || undefined,
      region: p.region,
      state: p.state?.join(","),
      limit: p.limit,
      cursor: p.cursor,
    };
    for (const [k, v] of Object.entries(p.metadata ?? {})) query[`metadata.${k}`] = v;
    const reply = await this.http.send({ op: "listMachines", method: "GET", path: `/v1/apps/${enc(app)}/machines`, query });
    const machines = this.http.parse("listMachines", reply, z.array(machineSchema));
    const nextCursor = reply.headers.get("fly-next-cursor") || undefined;
    return { machines, nextCursor };
  }
  updateMachine(app: string, id: string, req: UpdateMachineRequest, nonce?: string): Promise<Machine> {
    return this.http.request({ op: "updateMachine", method: "POST", path: machinePath(app, id), body: req, nonce, schema: machineSchema });
  }
  startMachine(app: string, id: string, nonce?: string) {
    return this.http.request({ op: "startMachine", method: "POST", path: `${machinePath(app, id)}/start`, nonce, schema: noContent });
  }
  stopMachine(app: string, id: string, req: StopRequest = {}, nonce?: string) {
    return this.http.request({ op: "stopMachine", method: "POST", path: `${machinePath(app, id)}/stop`, body: req, nonce, schema: noContent });
  }
  restartMachine(app: string, id: string, opts: { timeoutS?: number; signal?: SignalName } = {}, nonce?: string) {
    return this.http.request({ op: "restartMachine", method: "POST", path: `${machinePath(app, id)}/restart`, query: { timeout: opts.timeoutS, signal: opts.signal }, nonce, schema: noContent });
  }
  signalMachine(app: string, id: string, signal: SignalName, nonce?: string) {
    return this.http.request({ op: "signalMachine", method: "POST", path: `${machinePath(app, id)}/signal`, body: { signal }, nonce, schema: noContent });
  }
  suspendMachine(app: string, id: string, nonce?: string) {
    return this.http.request({ op: "suspendMachine", method: "POST", path: `${machinePath(app, id)}/suspend`, nonce, schema: noContent });
  }
  cordonMachine(app: string, id: string, nonce?: string) {
    return this.http.request({ op: "cordonMachine", method: "POST", path: `${machinePath(app, id)}/cordon`, nonce, schema: noContent });
  }
  uncordonMachine(app: string, id: string, nonce?: string) {
    return this.http.request({ op: "uncordonMachine", method: "POST", path: `${machinePath(app, id)}/uncordon`, nonce, schema: noContent });
  }
  /** Destroy; `force` kills a running machine. */
  deleteMachine(app: string, id: string, opts: { force?: boolean } = {}, nonce?: string) {
    return this.http.request({ op: "deleteMachine", method: "DELETE", path: machinePath(app, id), query: { force: opts.force || undefined }, nonce, schema: noContent });
  }
  /** Blocks server-side up to `timeoutS` (at most 60) for one of `states`; 408 (transient) when it did not get there. */
  waitMachine(app: string, id: string, opts: { states: WaitState[]; timeoutS?: number; version?: string; fromEventId?: string }) {
    const timeoutS = Math.min(Math.max(opts.timeoutS ?? 60, 1), 60);
    return this.http.request({
      op: "waitMachine",
      method: "GET",
      path: `${machinePath(app, id)}/wait`,
      query: { state: opts.states.join(","), timeout: timeoutS, version: opts.version, from_event_id: opts.fromEventId },
      schema: waitResponseSchema,
      extraTimeoutMs: timeoutS * 1000,
    });
  }
  listMachineEvents(app: string, id: string, limit?: number) {
    return this.http.request({ op: "listMachineEvents", method: "GET", path: `${machinePath(app, id)}/events`, query: { limit }, schema: z.array(machineEventSchema) });
  }
  exec(app: string, id: string, req: ExecRequest) {
    return this.http.request({ op: "exec", method: "POST", path: `${machinePath(app, id)}/exec`, body: req, schema: execResponseSchema, extraTimeoutMs: (req.timeout ?? 0) * 1000 });
  }

  // ---- leases (wire shape: `{status, data:{nonce, expires_at, owner, description, version}}`)
  async acquireLease(app: string, id: string, ttlS: number, description?: string): Promise<Lease> {
    const env = await this.http.request({ op: "acquireLease", method: "POST", path: `${machinePath(app, id)}/lease`, body: { ttl: ttlS, description }, schema: leaseEnvelopeSchema });
    return env.data;
  }
  async refreshLease(app: string, id: string, nonce: string, ttlS: number): Promise<Lease> {
    const env = await this.http.request({ op: "refreshLease", method: "POST", path: `${machinePath(app, id)}/lease`, body: { ttl: ttlS }, nonce, schema: leaseEnvelopeSchema });
    return env.data;
  }
  async getLease(app: string, id: string): Promise<Lease> {
    const env = await this.http.request({ op: "getLease", method: "GET", path: `${machinePath(app, id)}/lease`, schema: leaseEnvelopeSchema });
    return env.data;
  }
  releaseLease(app: string, id: string, nonce: string) {
    return this.http.request({ op: "releaseLease", method: "DELETE", path: `${machinePath(app, id)}/lease`, nonce, schema: noContent });
  }

  // ---- metadata
  getMetadata(app: string, id: string) {
    return this.http.request({ op: "getMetadata", method: "GET", path: `${machinePath(app, id)}/metadata`, schema: metadataSchema });
  }
  /** Keys absent are untouched; `null` deletes. A stale `machineVersion` is a `precondition` error. */
  patchMetadata(app: string, id: string, metadata: Record<string, string | null>, machineVersion?: string) {
    return this.http.request({ op: "patchMetadata", method: "PATCH", path: `${machinePath(app, id)}/metadata`, body: { metadata, machine_version: machineVersion }, schema: noContent });
  }
  setMetadataKey(app: string, id: string, key: string, value: string) {
    return this.http.request({ op: "setMetadataKey", method: "POST", path: `${machinePath(app, id)}/metadata/${enc(key)}`, body: { value }, schema: noContent });
  }
  deleteMetadataKey(app: string, id: string, key: string) {
    return this.http.request({ op: "deleteMetadataKey", method: "DELETE", path: `${machinePath(app, id)}/metadata/${enc(key)}`, schema: noContent });
  }

  // ---- volumes
  createVolume(app: string, req: CreateVolumeRequest) {
    return this.http.request({ op: "createVolume", method: "POST", path: `/v1/apps/${enc(app)}/volumes`, body: req, schema: volumeSchema });
  }
  getVolume(app: string, id: string) {
    return this.http.request({ op: "getVolume", method: "GET", path: `/v1/apps/${enc(app)}/volumes/${enc(id)}`, schema: volumeSchema });
  }
  listVolumes(app: string) {
    return this.http.request({ op: "listVolumes", method: "GET", path: `/v1/apps/${enc(app)}/volumes`, schema: z.array(volumeSchema) });
  }
  deleteVolume(app: string, id: string) {
    return this.http.request({ op: "deleteVolume", method: "DELETE", path: `/v1/apps/${enc(app)}/volumes/${enc(id)}`, schema: volumeSchema });
  }
  extendVolume(app: string, id: string, sizeGb: number) {
    return this.http.request({ op: "extendVolume", method: "PUT", path: `/v1/apps/${enc(app)}/volumes/${enc(id)}/extend`, body: { size_gb: sizeGb }, schema: extendVolumeSchema });
  }

  // ---- app secrets (every write returns the app's new secrets `version`)
  listSecrets(app: string, opts: { showSecrets?: boolean; minVersion?: number } = {}) {
    return this.http.request({ op: "listSecrets", method: "GET", path: `/v1/apps/${enc(app)}/secrets`, query: { show_secrets: opts.showSecrets || undefined, min_version: opts.minVersion }, schema: appSecretsSchema });
  }
  setSecret(app: string, name: string, value: string) {
    return this.http.request({ op: "setSecret", method: "POST", path: `/v1/apps/${enc(app)}/secrets/${enc(name)}`, body: { value }, schema: secretsWriteSchema });
  }
  /** Bulk set; a `null` value unsets that secret. */
  setSecrets(app: string, values: Record<string, string | null>) {
    return this.http.request({ op: "setSecrets", method: "POST", path: `/v1/apps/${enc(app)}/secrets`, body: { values }, schema: secretsWriteSchema });
  }
  deleteSecret(app: string, name: string) {
    return this.http.request({ op: "deleteSecret", method: "DELETE", path: `/v1/apps/${enc(app)}/secrets/${enc(name)}`, schema: secretsWriteSchema });
  }

  // ---- IP assignments
  listIps(app: string) {
    return this.http.request({ op: "listIps", method: "GET", path: `/v1/apps/${enc(app)}/ip_assignments`, schema: listIpsSchema });
  }
  allocatePrivateIp(app: string, opts: { serviceName?: string; network?: string; region?: string } = {}) {
    return this.http.request({
      op: "allocateIp",
      method: "POST",
      path: `/v1/apps/${enc(app)}/ip_assignments`,
      body: { type: "private_v6", service_name: opts.serviceName, network: opts.network, region: opts.region },
      schema: ipAssignmentSchema,
    });
  }
  /** A public address: a dedicated `v6` or `v4`, or the shared IPv4 (`shared_v4`, HTTP and TLS only). */
  allocatePublicIp(app: string, type: "v6" | "v4" | "shared_v4", opts: { region?: string } = {}) {
    return this.http.request({ op: "allocateIp", method: "POST", path: `/v1/apps/${enc(app)}/ip_assignments`, body: { type, region: opts.region }, schema: ipAssignmentSchema });
  }
  releaseIp(app: string, ip: string) {
    return this.http.request({ op: "releaseIp", method: "DELETE", path: `/v1/apps/${enc(app)}/ip_assignments/${enc(ip)}`, schema: noContent });
  }
}

const enc = encodeURIComponent;
const machinePath = (app: string, id: string) => `/v1/apps/${enc(app)}/machines/${enc(id)}`;
