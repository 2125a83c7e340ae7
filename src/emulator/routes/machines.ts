import type { Context } from "hono";
import { z } from "zod";
import { parseOr400, queryBool, queryInt, readJsonBody } from "../body";
import { badRequest, conflict, FlyError, notFound } from "../errors";
import { honoPath, pathParam, type FlyApp, type FlyEnv } from "../hono-env";
import { newMachineId, newMachineName, tokenOwner } from "../ids";
import { acquireLease, assertLeaseHolder, LEASE_NONCE_HEADER } from "../leases";
import { destroy, launch, replace } from "../lifecycle";
import { faultsApply } from "../v1-middleware";
import { checkImages } from "../image-registry";
import { machineConfigSchema, normalizeMachineConfig } from "../machine-config";
import { machineView } from "../machine-view";
import type { MachineRecord } from "../model";
import { paginate } from "../pagination";
import { FLY_REGIONS } from "../regions";
import type { EmulatorState } from "../state";
import { secretsForLaunch } from "../machine-secrets";
import { checkMountsForUpdate, volumeForCreate } from "../volume-binding";

const MACHINES = "/v1/apps/{app_name}/machines";
const MACHINE = "/v1/apps/{app_name}/machines/{machine_id}";

const createSchema = z.looseObject({
  config: machineConfigSchema,
  name: z.string().min(1).optional(),
  region: z.string().min(1).optional(),
  skip_launch: z.boolean().optional(),
  skip_service_registration: z.boolean().optional(),
  lease_ttl: z.number().int().positive().optional(),
  min_secrets_version: z.number().int().nonnegative().optional(),
  skip_secrets: z.boolean().optional(),
});
const updateSchema = createSchema.extend({ current_version: z.string().optional() });

function checkRegion(region: string): string {
  if (!FLY_REGIONS.has(region)) throw badRequest(`invalid region: ${JSON.stringify(region)} is not a Fly region`);
  return region;
}

/** `metadata.<key>=<value>` filters, ANDed. */
function metadataFilters(c: Context<FlyEnv>): [string, string][] {
  const url = new URL(c.req.url);
  return [...url.searchParams].filter(([k]) => k.startsWith("metadata.")).map(([k, v]) => [k.slice("metadata.".length), v]);
}

function listMachines(st: EmulatorState, c: Context<FlyEnv>) {
  const app = st.app(pathParam(c, "app_name"));
  const includeDeleted = queryBool(c, "include_deleted");
  const region = c.req.query("region");
  const states = c.req.query("state")?.split(",").map((s) => s.trim()).filter(Boolean);
  const filters = metadataFilters(c);
  const matching = [...app.machines.values()]
    .filter((m) => includeDeleted || m.state !== "destroyed")
    .filter((m) => !region || m.region === region)
    .filter((m) => !states?.length || states.includes(m.state))
    .filter((m) => filters.every(([k, v]) => m.config.metadata?.[k] === v))
    .sort((a, b) => a.seq - b.seq);
  const { page, next } = paginate(matching, queryInt(c, "limit", 1, 1000), c.req.query("cursor") || undefined);
  if (next) c.header("fly-next-cursor", next);
  const opts = { includeLease: queryBool(c, "include_leases"), summary: queryBool(c, "summary") };
  return c.json(page.map((m) => machineView(st, m, opts)));
}

async function createMachine(st: EmulatorState, c: Context<FlyEnv>) {
  const app = st.app(pathParam(c, "app_name"));
  const body = parseOr400(createSchema, (await readJsonBody(c)) ?? {});
  const config = normalizeMachineConfig(body.config);
  checkImages(config, st.config.missingImages);
  const placed = volumeForCreate(app, config, body.region && checkRegion(body.region));
  const secrets = secretsForLaunch(app, config, body.min_secrets_version);
  const now = st.now();
  const version = st.newUlid();
  const m: MachineRecord = {
    id: newMachineId(),
    seq: st.nextSeq(),
    name: body.name ?? newMachineName(),
    app: app.name,
    region: checkRegion(placed.region ?? st.config.defaultRegion),
    state: "created",
    config,
    version,
    secrets,
    versions: [{ version, config }],
    privateIp: st.allocatePrivateIp(app),
    createdAt: now,
    updatedAt: now,
    events: [],
    cordoned: body.skip_service_registration ?? false,
    autoRestarts: [],
    restartCount: 0,
    pulledImages: new Set(),
    listeners: new Set(),
  };
  app.machines.set(m.id, m);
  if (placed.volume) placed.volume.attachedMachineId = m.id;
  const lease = body.lease_ttl ? acquireLease(st, m, { ttlSeconds: body.lease_ttl, description: undefined, owner: tokenOwner(c.var.token), nonce: undefined }) : undefined;
  launch(st, m, body.skip_launch ?? false);
  if (st.config.faults.create408 > 0 && faultsApply(st, app.name)) {
    st.config.faults.create408 -= 1;
    throw new FlyError(408, "deadline_exceeded: timed out waiting for the machine to be created");
  }
  return c.json(machineView(st, m, { nonce: lease?.nonce }));
}

function getMachine(st: EmulatorState, c: Context<FlyEnv>) {
  const m = st.machine(pathParam(c, "app_name"), pathParam(c, "machine_id"));
  const wanted = c.req.query("version");
  const includeLease = queryBool(c, "include_leases");
  if (!wanted || wanted === m.version) return c.json(machineView(st, m, { includeLease }));
  const old = m.versions.find((v) => v.version === wanted);
  if (!old) throw notFound("machine version");
  return c.json(machineView(st, m, { includeLease, version: old }));
}

async function updateMachine(st: EmulatorState, c: Context<FlyEnv>) {
  const app = st.app(pathParam(c, "app_name"));
  const m = st.liveMachine(app.name, pathParam(c, "machine_id"));
  assertLeaseHolder(st, m, c.req.header(LEASE_NONCE_HEADER));
  const body = parseOr400(updateSchema, (await readJsonBody(c)) ?? {});
  if (body.current_version !== undefined && body.current_version !== m.version) {
    throw conflict(`machine ${m.id} is at version ${m.version}, not current_version ${body.current_version}`);
  }
  if (body.region !== undefined && body.region !== m.region) throw badRequest(`invalid region: a machine's region cannot be changed (it is ${m.region})`);
  if (body.name !== undefined && body.name !== m.name) throw badRequest(`invalid name: a machine's name cannot be changed (it is ${m.name})`);
  const config = normalizeMachineConfig(body.config);
  checkImages(config, st.config.missingImages);
  checkMountsForUpdate(app, m, config);
  const secrets = secretsForLaunch(app, config, body.min_secrets_version);
  replace(st, m, config, body.skip_launch ?? false);
  m.secrets = secrets;
  return c.json(machineView(st, m));
}

function deleteMachine(st: EmulatorState, c: Context<FlyEnv>) {
  const app = st.app(pathParam(c, "app_name"));
  const m = st.liveMachine(app.name, pathParam(c, "machine_id"));
  assertLeaseHolder(st, m, c.req.header(LEASE_NONCE_HEADER));
  // S names the flag `force`; fly-go and fly-admin send `kill=true`.
  destroy(st, app, m, queryBool(c, "force") || queryBool(c, "kill"));
  return c.json({ ok: true });
}

export function machineRoutes(app: FlyApp, st: EmulatorState): void {
  app.get(honoPath(MACHINES), (c) => listMachines(st, c));
  app.post(honoPath(MACHINES), (c) => createMachine(st, c));
  app.get(honoPath(MACHINE), (c) => getMachine(st, c));
  app.post(honoPath(MACHINE), (c) => updateMachine(st, c));
  app.delete(honoPath(MACHINE), (c) => deleteMachine(st, c));
  app.get(honoPath(`${MACHINE}/versions`), (c) => {
    const m = st.machine(pathParam(c, "app_name"), pathParam(c, "machine_id"));
    return c.json([...m.versions].reverse().map((v) => ({ version: v.version, user_config: v.config })));
  });
}
