import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { clusterRoutes } from "./http/cluster-routes";
import { opsRoutes } from "./ops/ops-routes";
export { ClusterObject } from "./cluster/object";

const app = new Hono<{ Bindings: Env }>()
  .get("/healthz", (c) => c.json({ ok: true }))
  .route("/v1/clusters", clusterRoutes)
  .route("/", opsRoutes)
  .notFound((c) => c.json({ error: `no route for ${c.req.method} ${new URL(c.req.url).pathname}` }, 404))
  .onError((err, c) => {
    if (err instanceof HTTPException) return err.getResponse();
    console.error(JSON.stringify({ msg: "unhandled error", route: c.req.path, error: err.message }));
    return c.json({ error: "internal error" }, 500);
  });

export default app;
