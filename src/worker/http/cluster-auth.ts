import { createMiddleware } from "hono/factory";
import { CLUSTER_NAME, CLUSTER_NAME_RULE, MAX_BODY_BYTES, SIGNATURE_HEADER } from "../../shared/contract";
import { verifyClusterSignature } from "./relay-secrets";

export type ClusterVars = { cluster: string; rawBody: string };

const encoder = new TextEncoder();

/** `/path?query` of a request's URL, as the relay signed it: what follows the origin (a request's URL never holds a fragment). */
const pathWithQuery = (url: string) => url.slice(url.indexOf("/", url.indexOf("://") + 3));

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
  // A UTF-16 code unit is at most 3 UTF-8 bytes: only a body that might be over the limit is encoded to count.
  if (rawBody.length * 3 > MAX_BODY_BYTES && encoder.encode(rawBody).byteLength > MAX_BODY_BYTES) return c.json({ error: `body larger than ${MAX_BODY_BYTES} bytes` }, 413);
  const check = await verifyClusterSignature(c.env, cluster, c.req.header(SIGNATURE_HEADER), c.req.method, pathWithQuery(c.req.url), rawBody);
  if (!check.ok) return c.json({ error: `unauthorized: ${check.reason}` }, 401);
  c.set("cluster", cluster);
  c.set("rawBody", rawBody);
  await next();
});
