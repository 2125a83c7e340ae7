/** @jsxImportSource hono/jsx */
import { Hono, type Context } from "hono";
import { csrf } from "hono/csrf";
import { secureHeaders } from "hono/secure-headers";
import { STATUS_CSS } from "./assets/status-css";
import { STATUS_JS } from "./assets/status-js";
import { renderMetrics } from "./metrics";
import { opsAuth, type Denial, type OpsVars } from "./ops-auth";
import { ClusterPage, Live } from "./page/cluster-page";
import { ClusterPicker, LoginPage } from "./page/login";
import { podFilterFrom } from "./pod-filter";
import { PROMETHEUS_CONTENT_TYPE } from "./prometheus-text";
import { CLUSTER_NAME, clusterMetrics, clusterView, configuredClusters } from "./status-source";
import { endSession, isStatusToken, startSession } from "./status-token";

type OpsEnv = { Bindings: Env; Variables: OpsVars };

const wantsHtml = (c: Context) => (c.req.header("accept") ?? "").includes("text/html");

/** A refusal: the sign-in page for a browser on /ui/, JSON otherwise; never cluster data. */
function deny(c: Context, d: Denial): Response | Promise<Response> {
  if (wantsHtml(c) && c.req.path.startsWith("/ui/")) {
    return c.html(<LoginPage reason={d.reason} next={safeNext(c.req.path)} canSignIn={d.login} />, d.status);
  }
  return c.json({ error: d.reason }, d.status);
}

/** Only a path of the page itself may follow a sign-in (no open redirect). */
const safeNext = (path: string | undefined) => (path && /^\/ui\/[A-Za-z0-9/_-]*$/.test(path) ? path : "/ui/");

const noClusterName = (c: Context) => c.json({ error: "cluster name must be 1-40 lowercase letters, digits or '-', starting and ending alphanumeric", path: "cluster" }, 400);

const ui = new Hono<OpsEnv>()
  .use(
    secureHeaders({
      contentSecurityPolicy: { defaultSrc: ["'none'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], connectSrc: ["'self'"], imgSrc: ["'self'"], formAction: ["'self'"], frameAncestors: ["'none'"], baseUri: ["'none'"] },
    }),
  )
  .use(csrf())
  // The assets hold code, no data: the sign-in page needs them before any credential.
  .get("/assets/status.css", (c) => c.body(STATUS_CSS, 200, { "content-type": "text/css; charset=utf-8", "cache-control": "public, max-age=300" }))
  .get("/assets/status.js", (c) => c.body(STATUS_JS, 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=300" }))
  .post("/login", async (c) => {
    c.header("cache-control", "no-store");
    const form = await c.req.parseBody();
    const next = safeNext(typeof form.next === "string" ? form.next : undefined);
    const token = typeof form.token === "string" ? form.token : "";
    if (!c.env.STATUS_TOKEN || !(await isStatusToken(token, c.env.STATUS_TOKEN))) {
      return c.html(<LoginPage reason="That is not the status token." next={next} canSignIn={Boolean(c.env.STATUS_TOKEN)} />, 401);
    }
    await startSession(c, c.env.STATUS_TOKEN);
    return c.redirect(next, 303);
  })
  .post("/logout", (c) => {
    endSession(c);
    return c.redirect("/ui/", 303);
  })
  .use(opsAuth(deny))
  .get("/", (c) => {
    const cluster = c.req.query("cluster");
    if (cluster !== undefined) return CLUSTER_NAME.test(cluster) ? c.redirect(`/ui/clusters/${cluster}`, 303) : noClusterName(c);
    return c.html(<ClusterPicker clusters={configuredClusters(c.env)} />);
  })
  .get("/clusters/:cluster", async (c) => {
    const cluster = c.req.param("cluster");
    if (!CLUSTER_NAME.test(cluster)) return noClusterName(c);
    const view = await clusterView(c.env, cluster);
    return c.html(<ClusterPage view={view} filter={podFilterFrom((k) => c.req.query(k))} path={`/ui/clusters/${cluster}`} />);
  })
  .get("/clusters/:cluster/live", async (c) => {
    const cluster = c.req.param("cluster");
    if (!CLUSTER_NAME.test(cluster)) return noClusterName(c);
    const view = await clusterView(c.env, cluster);
    return c.html(<Live view={view} filter={podFilterFrom((k) => c.req.query(k))} />);
  })
  .get("/clusters/:cluster/view.json", async (c) => {
    const cluster = c.req.param("cluster");
    if (!CLUSTER_NAME.test(cluster)) return noClusterName(c);
    return c.json(await clusterView(c.env, cluster));
  });

const metrics = new Hono<OpsEnv>().use(opsAuth(deny)).get("/", async (c) => {
  const asked = c.req.queries("cluster") ?? [];
  const bad = asked.find((n) => !CLUSTER_NAME.test(n));
  if (bad !== undefined) return noClusterName(c);
  const clusters = [...new Set(asked.length ? asked : configuredClusters(c.env))];
  const all = await Promise.all(clusters.map((cluster) => clusterMetrics(c.env, cluster)));
  return c.body(renderMetrics(all), 200, { "content-type": PROMETHEUS_CONTENT_TYPE });
});

/** `/ui/*` and `/metrics` (contract: "GET /ui/... and GET /metrics"). */
export const opsRoutes = new Hono<{ Bindings: Env }>().route("/ui", ui).route("/metrics", metrics);
