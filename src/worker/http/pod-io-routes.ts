import { Hono, type Context } from "hono";
import { MachinesClient } from "../../machines/client";
import { isMachinesApiError } from "../../machines/errors";
import { FlyLogsClient } from "../../machines/logs-client";
import { podExecRequestSchema, podLogsQuerySchema } from "../../shared/contract";
import { execInMachine, ExecRefused, flyFailure } from "../pod-io/exec";
import { readPodLogs } from "../pod-io/logs";
import type { ClusterVars } from "./cluster-auth";

type AppEnv = { Bindings: Env; Variables: ClusterVars };

/** The cluster's Fly app: `APP_NAME_TEMPLATE` (default `fks-{cluster}`), as the cluster object names it. */
const appNameOf = (env: Env, cluster: string) => (env.APP_NAME_TEMPLATE ?? "fks-{cluster}").replace("{cluster}", cluster);

/**
 * The pod's machine, or the answer that says why there is none. `since` (ms): the pod took the
 * machine over from a spare then; what the machine logged before belongs to an earlier pod.
 */
async function machineOf(c: Context<AppEnv>): Promise<{ machineId: string; since: number | null } | Response> {
  const uid = c.req.param("uid") ?? "";
  const pod = await c.env.CLUSTER.getByName(c.get("cluster")).podMachine(uid);
  if (!pod) return c.json({ error: `pod ${uid} is not known to cluster ${c.get("cluster")}` }, 404);
  if (!pod.machineId) return c.json({ error: `pod ${pod.namespace}/${pod.name} has no machine yet` }, 409);
  return { machineId: pod.machineId, since: pod.since };
}

function failure(c: Context<AppEnv>, e: unknown): Response {
  if (e instanceof ExecRefused) return c.json({ error: e.message }, e.status);
  if (!isMachinesApiError(e)) throw e;
  const { status, error } = flyFailure(e);
  return c.json({ error }, status);
}

/**
 * Logs and exec of a pod's machine, for the relay's kubelet API. Thin: the pod's machine comes
 * from the cluster object's public pod view; the calls go straight to Fly with the worker's token.
 */
export const podIoRoutes = new Hono<AppEnv>()
  .get("/:cluster/pods/:uid/logs", async (c) => {
    const q = podLogsQuerySchema.safeParse(c.req.query());
    if (!q.success) return c.json({ error: q.error.issues[0]!.message, path: q.error.issues[0]!.path.join(".") }, 400);
    const target = await machineOf(c);
    if (target instanceof Response) return target;
    const logs = new FlyLogsClient({ baseUrl: c.env.FLY_API_URL, token: c.env.FLY_API_TOKEN });
    try {
      // Fly's next_token is a time in ns: starting at the take-over leaves an earlier pod's lines out.
      const after = q.data.after ?? (target.since === null ? undefined : String(target.since * 1_000_000));
      return c.json(await readPodLogs(logs, appNameOf(c.env, c.get("cluster")), target.machineId, { ...q.data, after, platform: q.data.platform === "true" }));
    } catch (e) {
      return failure(c, e);
    }
  })
  .post("/:cluster/pods/:uid/exec", async (c) => {
    let json: unknown;
    try {
      json = JSON.parse(c.get("rawBody") || "{}");
    } catch {
      return c.json({ error: "body is not valid JSON" }, 400);
    }
    const body = podExecRequestSchema.safeParse(json);
    if (!body.success) return c.json({ error: body.error.issues[0]!.message, path: body.error.issues[0]!.path.join(".") || "(body)" }, 400);
    const target = await machineOf(c);
    if (target instanceof Response) return target;
    const client = new MachinesClient({ baseUrl: c.env.MACHINES_API_URL, token: c.env.FLY_API_TOKEN });
    try {
      return c.json(await execInMachine(client, appNameOf(c.env, c.get("cluster")), target.machineId, body.data));
    } catch (e) {
      return failure(c, e);
    }
  });
