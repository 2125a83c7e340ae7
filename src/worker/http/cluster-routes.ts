import { Hono } from "hono";
import { clusterAuth, type ClusterVars } from "./cluster-auth";
import type { z } from "zod";
import { admissionReviewSchema, eventsBodySchema, MAX_FEED_WAIT_S, reconcileBodySchema } from "../../shared/contract";
import { answerAdmission } from "../admission/admission-review";
import { podIoRoutes } from "./pod-io-routes";
import { applyScreened, screenSnapshot } from "./object-screen";

/** Parses a JSON body against `schema`; the error names the first wrong field. */
function parseBody<T>(raw: string, schema: z.ZodType<T>): { ok: true; data: T } | { ok: false; error: string; path?: string } {
  let json: unknown;
  try {
    json = raw === "" ? {} : JSON.parse(raw);
  } catch (e) {
    return { ok: false, error: `body is not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  const r = schema.safeParse(json);
  if (r.success) return { ok: true, data: r.data };
  const issue = r.error.issues[0]!;
  return { ok: false, error: issue.message, path: issue.path.join(".") || "(body)" };
}

type AppEnv = { Bindings: Env; Variables: ClusterVars };

const clusterObject = (env: Env, cluster: string) => env.CLUSTER.getByName(cluster);

export const clusterRoutes = new Hono<AppEnv>()
  .use("/:cluster/*", async (c, next) => (c.req.path.endsWith("/admission") ? next() : clusterAuth(c, next)))
  // Called by the Kubernetes API server, not the relay: unsigned, side-effect free.
  .post("/:cluster/admission", async (c) => {
    const body = parseBody(await c.req.text(), admissionReviewSchema);
    if (!body.ok) return c.json({ error: body.error, path: body.path }, 400);
    return c.json(answerAdmission(body.data, c.req.param("cluster")));
  })
  .post("/:cluster/events", async (c) => {
    const body = parseBody(c.get("rawBody"), eventsBodySchema);
    if (!body.ok) return c.json({ error: body.error, path: body.path }, 400);
    const cluster = c.get("cluster");
    const results = await applyScreened(body.data.events, (events) => clusterObject(c.env, cluster).applyEvents(cluster, events));
    return c.json({ results });
  })
  .post("/:cluster/reconcile", async (c) => {
    const body = parseBody(c.get("rawBody"), reconcileBodySchema);
    if (!body.ok) return c.json({ error: body.error, path: body.path }, 400);
    const screened = body.data.snapshot && screenSnapshot(body.data.snapshot);
    if (screened && "error" in screened) return c.json(screened, 400);
    const r = await clusterObject(c.env, c.get("cluster")).reconcile(c.get("cluster"), screened?.snapshot);
    if ("unavailable" in r) return c.json({ error: `cannot converge now: ${r.unavailable}` }, 503);
    return c.json(r.counts);
  })
  .get("/:cluster/status", async (c) => {
    const after = c.req.query("after") ?? "0";
    const wait = c.req.query("wait") ?? "0";
    if (!/^\d{1,15}$/.test(after)) return c.json({ error: "after must be a cursor this endpoint returned (digits)", path: "after" }, 400);
    if (!/^\d{1,3}$/.test(wait) || Number(wait) > MAX_FEED_WAIT_S) return c.json({ error: `wait must be 0..${MAX_FEED_WAIT_S} seconds`, path: "wait" }, 400);
    return c.json(await clusterObject(c.env, c.get("cluster")).statusFeed(c.get("cluster"), Number(after), Number(wait) * 1000));
  })
  .get("/:cluster/pods/:uid", async (c) => {
    const pod = await clusterObject(c.env, c.get("cluster")).getPod(c.req.param("uid"));
    return pod ? c.json(pod) : c.json({ error: `pod ${c.req.param("uid")} is not known to cluster ${c.get("cluster")}` }, 404);
  })
  .get("/:cluster/services/:namespace/:name", async (c) => {
    const { namespace, name } = c.req.param();
    const svc = await clusterObject(c.env, c.get("cluster")).getService(namespace, name);
    return svc ? c.json(svc) : c.json({ error: `Service ${namespace}/${name} is not known to cluster ${c.get("cluster")}` }, 404);
  })
  .get("/:cluster/claims/:namespace/:name", async (c) => {
    const { namespace, name } = c.req.param();
    const claim = await clusterObject(c.env, c.get("cluster")).getClaim(namespace, name);
    return claim ? c.json(claim) : c.json({ error: `PersistentVolumeClaim ${namespace}/${name} is not known to cluster ${c.get("cluster")}` }, 404);
  })
  .route("/", podIoRoutes);
