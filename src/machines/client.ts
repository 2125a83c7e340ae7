import { z } from "zod";
import { classifyStatus, DEFAULT_RATE_LIMIT_WAIT_MS, MachinesApiError } from "./errors";
import {
  appSchema,
  appSecretsSchema,
  createAppResponseSchema,
  execResponseSchema,
  extendVolumeSchema,
  flyErrorSchema,
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

export interface MachinesClientOptions {
  baseUrl: string;
  token: string;
  /** Per-request timeout; `wait` adds its own server-side timeout on top. Default 30 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

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

type Query = Record<string, string | number | boolean | string[] | undefined>;
interface RequestSpec<T> {
  op: string;
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  query?: Query;
  body?: unknown;
  nonce?: string;
  schema?: z.ZodType<T>;
  extraTimeoutMs?: number;
}

const noContent = z.unknown();

/**
 * One adapter for the Fly Machines API. Every response is parsed; every failure is a
 * `MachinesApiError` with a kind the caller can act on. No retries here: the retry and
 * rate-budget policy belongs to the callers.
 */
export class MachinesClient {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly opts: MachinesClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, "");
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.fetchFn = opts.fetch ?? ((input, init) => fetch(input, init));
  }

  // ---- apps
  getApp(app: string) {
    return this.request({ op: "getApp", method: "GET", path: `/v1/apps/${enc(app)}`, schema: appSchema });
  }
  /** `idempotencyKey`: a repeat of a create whose answer was lost answers as the first did (Fly's `idempotency_key`). */
  createApp(name: string, orgSlug: string, opts: { network?: string; idempotencyKey?: string } = {}) {
    return this.request({
      op: "createApp",
      method: "POST",
      path: "/v1/apps",
      body: { name, org_slug: orgSlug, network: opts.network, idempotency_key: opts.idempotencyKey },
      schema: createAppResponseSchema,
    });
  }
  listApps(orgSlug: string) {
    return this.request({ op: "listApps", method: "GET", path: "/v1/apps", query: { org_slug: orgSlug }, schema: listAppsSchema });
  }
  deleteApp(app: string, force = false) {
    return this.request({ op: "deleteApp", method: "DELETE", path: `/v1/apps/${enc(app)}`, query: { force: force || undefined }, schema: noContent });
  }

  // ---- machines
  createMachine(app: string, req: CreateMachineRequest): Promise<Machine> {
    return this.request({ op: "createMachine", method: "POST", path: `/v1/apps/${enc(app)}/machines`, body: req, schema: machineSchema });
  }
  getMachine(app: string, id: string): Promise<Machine> {
    return this.request({ op: "getMachine", method: "GET", path: machinePath(app, id), schema: machineSchema });
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
    const reply = await this.send({ op: "listMachines", method: "GET", path: `/v1/apps/${enc(app)}/machines`, query });
    const machines = this.parse("listMachines", reply, z.array(machineSchema));
    const nextCursor = reply.headers.get("fly-next-cursor") || undefined;
    return { machines, nextCursor };
  }
  updateMachine(app: string, id: string, req: UpdateMachineRequest, nonce?: string): Promise<Machine> {
    return this.request({ op: "updateMachine", method: "POST", path: machinePath(app, id), body: req, nonce, schema: machineSchema });
  }
  startMachine(app: string, id: string, nonce?: string) {
    return this.request({ op: "startMachine", method: "POST", path: `${machinePath(app, id)}/start`, nonce, schema: noContent });
  }
  stopMachine(app: string, id: string, req: StopRequest = {}, nonce?: string) {
    return this.request({ op: "stopMachine", method: "POST", path: `${machinePath(app, id)}/stop`, body: req, nonce, schema: noContent });
  }
  restartMachine(app: string, id: string, opts: { timeoutS?: number; signal?: SignalName } = {}, nonce?: string) {
    return this.request({ op: "restartMachine", method: "POST", path: `${machinePath(app, id)}/restart`, query: { timeout: opts.timeoutS, signal: opts.signal }, nonce, schema: noContent });
  }
  signalMachine(app: string, id: string, signal: SignalName, nonce?: string) {
    return this.request({ op: "signalMachine", method: "POST", path: `${machinePath(app, id)}/signal`, body: { signal }, nonce, schema: noContent });
  }
  suspendMachine(app: string, id: string, nonce?: string) {
    return this.request({ op: "suspendMachine", method: "POST", path: `${machinePath(app, id)}/suspend`, nonce, schema: noContent });
  }
  cordonMachine(app: string, id: string, nonce?: string) {
    return this.request({ op: "cordonMachine", method: "POST", path: `${machinePath(app, id)}/cordon`, nonce, schema: noContent });
  }
  uncordonMachine(app: string, id: string, nonce?: string) {
    return this.request({ op: "uncordonMachine", method: "POST", path: `${machinePath(app, id)}/uncordon`, nonce, schema: noContent });
  }
  /** Destroy; `force` kills a running machine. */
  deleteMachine(app: string, id: string, opts: { force?: boolean } = {}, nonce?: string) {
    return this.request({ op: "deleteMachine", method: "DELETE", path: machinePath(app, id), query: { force: opts.force || undefined }, nonce, schema: noContent });
  }
  /** Blocks server-side up to `timeoutS` (at most 60) for one of `states`; 408 (transient) when it did not get there. */
  waitMachine(app: string, id: string, opts: { states: WaitState[]; timeoutS?: number; version?: string; fromEventId?: string }) {
    const timeoutS = Math.min(Math.max(opts.timeoutS ?? 60, 1), 60);
    return this.request({
      op: "waitMachine",
      method: "GET",
      path: `${machinePath(app, id)}/wait`,
      query: { state: opts.states.join(","), timeout: timeoutS, version: opts.version, from_event_id: opts.fromEventId },
      schema: waitResponseSchema,
      extraTimeoutMs: timeoutS * 1000,
    });
  }
  listMachineEvents(app: string, id: string, limit?: number) {
    return this.request({ op: "listMachineEvents", method: "GET", path: `${machinePath(app, id)}/events`, query: { limit }, schema: z.array(machineEventSchema) });
  }
  exec(app: string, id: string, req: ExecRequest) {
    return this.request({ op: "exec", method: "POST", path: `${machinePath(app, id)}/exec`, body: req, schema: execResponseSchema, extraTimeoutMs: (req.timeout ?? 0) * 1000 });
  }

  // ---- leases (wire shape: `{status, data:{nonce, expires_at, owner, description, version}}`)
  async acquireLease(app: string, id: string, ttlS: number, description?: string): Promise<Lease> {
    const env = await this.request({ op: "acquireLease", method: "POST", path: `${machinePath(app, id)}/lease`, body: { ttl: ttlS, description }, schema: leaseEnvelopeSchema });
    return env.data;
  }
  async refreshLease(app: string, id: string, nonce: string, ttlS: number): Promise<Lease> {
    const env = await this.request({ op: "refreshLease", method: "POST", path: `${machinePath(app, id)}/lease`, body: { ttl: ttlS }, nonce, schema: leaseEnvelopeSchema });
    return env.data;
  }
  async getLease(app: string, id: string): Promise<Lease> {
    const env = await this.request({ op: "getLease", method: "GET", path: `${machinePath(app, id)}/lease`, schema: leaseEnvelopeSchema });
    return env.data;
  }
  releaseLease(app: string, id: string, nonce: string) {
    return this.request({ op: "releaseLease", method: "DELETE", path: `${machinePath(app, id)}/lease`, nonce, schema: noContent });
  }

  // ---- metadata
  getMetadata(app: string, id: string) {
    return this.request({ op: "getMetadata", method: "GET", path: `${machinePath(app, id)}/metadata`, schema: metadataSchema });
  }
  /** Keys absent are untouched; `null` deletes. A stale `machineVersion` is a `precondition` error. */
  patchMetadata(app: string, id: string, metadata: Record<string, string | null>, machineVersion?: string) {
    return this.request({ op: "patchMetadata", method: "PATCH", path: `${machinePath(app, id)}/metadata`, body: { metadata, machine_version: machineVersion }, schema: noContent });
  }
  setMetadataKey(app: string, id: string, key: string, value: string) {
    return this.request({ op: "setMetadataKey", method: "POST", path: `${machinePath(app, id)}/metadata/${enc(key)}`, body: { value }, schema: noContent });
  }
  deleteMetadataKey(app: string, id: string, key: string) {
    return this.request({ op: "deleteMetadataKey", method: "DELETE", path: `${machinePath(app, id)}/metadata/${enc(key)}`, schema: noContent });
  }

  // ---- volumes
  createVolume(app: string, req: CreateVolumeRequest) {
    return this.request({ op: "createVolume", method: "POST", path: `/v1/apps/${enc(app)}/volumes`, body: req, schema: volumeSchema });
  }
  getVolume(app: string, id: string) {
    return this.request({ op: "getVolume", method: "GET", path: `/v1/apps/${enc(app)}/volumes/${enc(id)}`, schema: volumeSchema });
  }
  listVolumes(app: string) {
    return this.request({ op: "listVolumes", method: "GET", path: `/v1/apps/${enc(app)}/volumes`, schema: z.array(volumeSchema) });
  }
  deleteVolume(app: string, id: string) {
    return this.request({ op: "deleteVolume", method: "DELETE", path: `/v1/apps/${enc(app)}/volumes/${enc(id)}`, schema: volumeSchema });
  }
  extendVolume(app: string, id: string, sizeGb: number) {
    return this.request({ op: "extendVolume", method: "PUT", path: `/v1/apps/${enc(app)}/volumes/${enc(id)}/extend`, body: { size_gb: sizeGb }, schema: extendVolumeSchema });
  }

  // ---- app secrets (every write returns the app's new secrets `version`)
  listSecrets(app: string, opts: { showSecrets?: boolean; minVersion?: number } = {}) {
    return this.request({ op: "listSecrets", method: "GET", path: `/v1/apps/${enc(app)}/secrets`, query: { show_secrets: opts.showSecrets || undefined, min_version: opts.minVersion }, schema: appSecretsSchema });
  }
  setSecret(app: string, name: string, value: string) {
    return this.request({ op: "setSecret", method: "POST", path: `/v1/apps/${enc(app)}/secrets/${enc(name)}`, body: { value }, schema: secretsWriteSchema });
  }
  /** Bulk set; a `null` value unsets that secret. */
  setSecrets(app: string, values: Record<string, string | null>) {
    return this.request({ op: "setSecrets", method: "POST", path: `/v1/apps/${enc(app)}/secrets`, body: { values }, schema: secretsWriteSchema });
  }
  deleteSecret(app: string, name: string) {
    return this.request({ op: "deleteSecret", method: "DELETE", path: `/v1/apps/${enc(app)}/secrets/${enc(name)}`, schema: secretsWriteSchema });
  }

  // ---- IP assignments
  listIps(app: string) {
    return this.request({ op: "listIps", method: "GET", path: `/v1/apps/${enc(app)}/ip_assignments`, schema: listIpsSchema });
  }
  allocatePrivateIp(app: string, opts: { serviceName?: string; network?: string; region?: string } = {}) {
    return this.request({
      op: "allocateIp",
      method: "POST",
      path: `/v1/apps/${enc(app)}/ip_assignments`,
      body: { type: "private_v6", service_name: opts.serviceName, network: opts.network, region: opts.region },
      schema: ipAssignmentSchema,
    });
  }
  /** A public address: a dedicated `v6` or `v4`, or the shared IPv4 (`shared_v4`, HTTP and TLS only). */
  allocatePublicIp(app: string, type: "v6" | "v4" | "shared_v4", opts: { region?: string } = {}) {
    return this.request({ op: "allocateIp", method: "POST", path: `/v1/apps/${enc(app)}/ip_assignments`, body: { type, region: opts.region }, schema: ipAssignmentSchema });
  }
  releaseIp(app: string, ip: string) {
    return this.request({ op: "releaseIp", method: "DELETE", path: `/v1/apps/${enc(app)}/ip_assignments/${enc(ip)}`, schema: noContent });
  }

  // ---- transport
  private async request<T>(spec: RequestSpec<T>): Promise<T> {
    const reply = await this.send(spec);
    return this.parse(spec.op, reply, spec.schema ?? (noContent as z.ZodType<T>));
  }

  /**
   * One HTTP exchange, body included, under one deadline. The timer is cleared as soon as the
   * exchange ends: a pending timer would keep a Durable Object from being evicted.
   */
  private async send(spec: RequestSpec<unknown>): Promise<Reply> {
    const url = new URL(this.baseUrl + spec.path);
    for (const [k, v] of Object.entries(spec.query ?? {})) {
      if (v === undefined) continue;
      url.searchParams.set(k, Array.isArray(v) ? v.join(",") : String(v));
    }
    const headers: Record<string, string> = { authorization: `Bearer ${this.opts.token}`, accept: "application/json" };
    if (spec.body !== undefined) headers["content-type"] = "application/json";
    if (spec.nonce) headers["fly-machine-lease-nonce"] = spec.nonce;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.timeoutMs + (spec.extraTimeoutMs ?? 0));
    let reply: Reply;
    try {
      const res = await this.fetchFn(url.toString(), {
        method: spec.method,
        headers,
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        signal: abort.signal,
      });
      reply = { status: res.status, ok: res.ok, headers: res.headers, text: await res.text(), statusText: res.statusText };
    } catch (e) {
      const why = abort.signal.aborted ? "timed out" : `network error: ${e instanceof Error ? e.message : String(e)}`;
      throw new MachinesApiError("transient", `${spec.op}: ${why}`, undefined, spec.op);
    } finally {
      clearTimeout(timer);
    }
    if (reply.ok) return reply;
    throw toError(spec.op, reply);
  }

  private parse<T>(op: string, reply: Reply, schema: z.ZodType<T>): T {
    let json: unknown = undefined;
    if (reply.text.length > 0) {
      try {
        json = JSON.parse(reply.text);
      } catch {
        throw new MachinesApiError("transient", `${op}: response is not JSON (${reply.status})`, reply.status, op);
      }
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new MachinesApiError("transient", `${op}: unexpected response shape at ${issue?.path.join(".") || "(root)"}: ${issue?.message}`, reply.status, op);
    }
    return parsed.data;
  }
}

interface Reply {
  status: number;
  ok: boolean;
  statusText: string;
  headers: Headers;
  text: string;
}

function toError(op: string, reply: Reply): MachinesApiError {
  let message = reply.text.slice(0, 500) || reply.statusText;
  let flyStatus: string | undefined;
  try {
    const body = flyErrorSchema.parse(JSON.parse(reply.text));
    message = body.error ?? body.message ?? message;
    flyStatus = body.status;
  } catch {
    // not Fly's JSON error body: keep the raw text
  }
  const kind = classifyStatus(reply.status);
  const retryAfter = Number(reply.headers.get("retry-after"));
  const retryAfterMs = kind === "rate_limited" ? (retryAfter > 0 ? retryAfter * 1000 : DEFAULT_RATE_LIMIT_WAIT_MS) : undefined;
  return new MachinesApiError(kind, `${op}: ${reply.status} ${message}`, reply.status, op, retryAfterMs, flyStatus);
}

const enc = encodeURIComponent;
const machinePath = (app: string, id: string) => `/v1/apps/${enc(app)}/machines/${enc(id)}`;
