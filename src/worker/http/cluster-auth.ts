import { createMiddleware } from "hono/factory";
import { CLUSTER_NAME, CLUSTER_NAME_RULE, MAX_BODY_BYTES, SIGNATURE_HEADER } from "../../shared/contract";
import { verifyClusterSignature } from "./relay-secrets";

export type ClusterVars = { cluster: string; rawBody: string };

/**
 * For every `/v1/clusters/{cluster}/...` route but admission: checks the cluster name and the
 * body size, then the signature over the raw body with that cluster's relay secrets (relay-secrets.ts). Nothing behind it runs unless all pass.
 */
export const clusterAuth = createMiddleware<{ Bindings: Env; Variables: ClusterVars }>(async (c, next) => {
  const cluster = c.req.param("cluster") ?? "";
  if (!CLUSTER_NAME.test(cluster)) {
    return c.json({ error: `cluster name must be ${CLUSTER_NAME_RULE}`, path: "cluster" }, 400);
  }
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) return c.json({ error: `body larger than ${MAX_BODY_BYTES} bytes` }, 413);
  const rawBody = await c.req.text();
  if (new TextEncoder().encode(rawBody).byteLength > MAX_BODY_BYTES) return c.json({ error: `body larger than ${MAX_BODY_BYTES} bytes` }, 413);
  const url = new URL(c.req.url);
  const check = await verifyClusterSignature(c.env, cluster, c.req.header(SIGNATURE_HEADER), c.req.method, url.pathname + url.search, rawBody);
  if (!check.ok) return c.json({ error: `unauthorized: ${check.reason}` }, 401);
  c.set("cluster", cluster);
  c.set("rawBody", rawBody);
  await next();
});
