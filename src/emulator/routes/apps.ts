import { z } from "zod";
import { parseOr400, queryInt, readJsonBody } from "../body";
import { badRequest, FlyError } from "../errors";
import { honoPath, pathParam, type FlyApp } from "../hono-env";
import { wakeWaiters } from "../machine-events";
import type { AppRecord } from "../model";
import { paginate } from "../pagination";
import type { EmulatorState } from "../state";

const APP_NAME = /^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$|^[a-z0-9]$/;

const createAppSchema = z.looseObject({
  name: z.string().optional(),
  /** The docs' spelling; fly-go sends `name`. */
  app_name: z.string().optional(),
  org_slug: z.string({ error: "required" }).min(1, "required"),
  network: z.string().optional(),
  enable_subdomains: z.boolean().optional(),
  idempotency_key: z.string().optional(),
});

function appView(app: AppRecord) {
  const machines = [...app.machines.values()].filter((m) => m.state !== "destroyed").length;
  return {
    id: app.id,
    name: app.name,
    status: machines > 0 ? "deployed" : "pending",
    organization: { name: app.orgSlug, slug: app.orgSlug },
    network: app.network,
    machine_count: machines,
    volume_count: [...app.volumes.values()].filter((v) => v.state !== "pending_destroy").length,
  };
}

export function appRoutes(app: FlyApp, st: EmulatorState): void {
  app.get(honoPath("/v1/apps"), (c) => {
    const org = c.req.query("org_slug");
    if (!org) throw badRequest("invalid org_slug: required");
    const apps = [...st.apps.values()].filter((a) => a.orgSlug === org);
    const { page, next } = paginate(apps, queryInt(c, "limit", 1, 5000), c.req.query("cursor") || undefined);
    return c.json({ total_apps: apps.length, apps: page.map(appView), ...(next ? { next_cursor: next } : {}) });
  });

  app.post(honoPath("/v1/apps"), async (c) => {
    const body = parseOr400(createAppSchema, (await readJsonBody(c)) ?? {});
    const name = body.name || body.app_name;
    if (!name) throw badRequest("invalid name: required");
    if (!APP_NAME.test(name)) throw badRequest(`invalid name: ${JSON.stringify(name)} must be lowercase letters, digits and dashes (at most 63)`);
    const key = body.idempotency_key;
    const earlier = key ? [...st.apps.values()].find((a) => a.idempotencyKey === key) : undefined;
    if (earlier) {
      if (earlier.name !== name) throw new FlyError(422, `idempotency_key ${key} was used to create app ${earlier.name}, not ${name}`);
      return c.json({ id: earlier.id, created_at: earlier.createdAt }, 201);
    }
    if (st.apps.has(name)) throw new FlyError(422, `app name ${JSON.stringify(name)} has already been taken`, "name_taken");
    const created = st.createApp(name, body.org_slug, body.network || "default", key);
    return c.json({ id: created.id, created_at: created.createdAt }, 201);
  });

  app.get(honoPath("/v1/apps/{app_name}"), (c) => c.json(appView(st.app(pathParam(c, "app_name")))));

  /** Deleting an app destroys its machines and volumes with it. */
  app.delete(honoPath("/v1/apps/{app_name}"), (c) => {
    const target = st.app(pathParam(c, "app_name"));
    st.apps.delete(target.name);
    for (const m of target.machines.values()) {
      st.timers.cancel(m.pending);
      wakeWaiters(m);
    }
    return c.body(null, 202);
  });
}
