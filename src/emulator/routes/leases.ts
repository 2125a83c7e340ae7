import { z } from "zod";
import { parseOr400, readJsonBody } from "../body";
import { badRequest, notFound } from "../errors";
import { honoPath, pathParam, type FlyApp } from "../hono-env";
import { tokenOwner } from "../ids";
import { acquireLease, activeLease, LEASE_NONCE_HEADER, leaseEnvelope, releaseLease } from "../leases";
import type { EmulatorState } from "../state";

const LEASE = "/v1/apps/{app_name}/machines/{machine_id}/lease";
const acquireSchema = z.looseObject({ ttl: z.number().int().positive().optional(), description: z.string().optional() });

/** TTL from the body (spec) or `?ttl=` (what fly-go sends). */
function queryTtl(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === "") return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw badRequest("invalid ttl: must be a positive number of seconds");
  return Number(raw);
}

export function leaseRoutes(app: FlyApp, st: EmulatorState): void {
  app.get(honoPath(LEASE), (c) => {
    const m = st.liveMachine(pathParam(c, "app_name"), pathParam(c, "machine_id"));
    const lease = activeLease(st, m);
    if (!lease) throw notFound("lease");
    return c.json(leaseEnvelope(lease));
  });

  app.post(honoPath(LEASE), async (c) => {
    const m = st.liveMachine(pathParam(c, "app_name"), pathParam(c, "machine_id"));
    const body = parseOr400(acquireSchema, (await readJsonBody(c)) ?? {});
    const lease = acquireLease(st, m, {
      ttlSeconds: body.ttl ?? queryTtl(c.req.query("ttl")),
      description: body.description,
      owner: tokenOwner(c.var.token),
      nonce: c.req.header(LEASE_NONCE_HEADER),
    });
    return c.json(leaseEnvelope(lease), 201);
  });

  app.delete(honoPath(LEASE), (c) => {
    const m = st.liveMachine(pathParam(c, "app_name"), pathParam(c, "machine_id"));
    releaseLease(st, m, c.req.header(LEASE_NONCE_HEADER));
    return c.json({ status: "success", data: { ok: true } });
  });
}
