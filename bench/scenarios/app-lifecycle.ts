/**
 * calls_per_app_pod_lifecycle: Machines API calls per pod, over create -> Running -> DELETED ->
 * gone, for pods that each read one Secret key as env and mount one PersistentVolumeClaim of their
 * own (the claims are then deleted, so their volumes are destroyed too). Counts the secrets and
 * volume calls with the machine calls; rate limits on.
 */
import { randomUUID } from "node:crypto";
import { countCalls, describeCalls, diffCalls, isMutating, isV1 } from "../lib/stats";
import { PhaseTracker } from "../lib/phases";
import { metric, type Metric } from "../lib/results";
import type { BenchContext, Scenario } from "../lib/scenario";
import { poll } from "../lib/wait";

const PODS = 10;
const meta = (name: string, rv = "1") => ({ name, namespace: "default", uid: randomUUID(), resourceVersion: rv });
const gone = (o: { metadata: { resourceVersion: string } }) => ({ type: "DELETED" as const, object: { ...o, metadata: { ...o.metadata, resourceVersion: String(Number(o.metadata.resourceVersion) + 1) } } });

export const appLifecycle: Scenario = {
  name: "app-lifecycle",
  owns: (key) => key.endsWith("_per_app_pod_lifecycle") || key.startsWith("app_lifecycle_"),
  async run(ctx: BenchContext): Promise<Metric[]> {
    await ctx.emulator.configure({ latencyMs: 0, bootMs: 0, rateLimits: true });
    const cluster = ctx.newCluster("apps");
    await cluster.prewarm();
    await ctx.emulator.waitQuiet(1_000);
    const before = await ctx.emulator.stats();

    const secret = { apiVersion: "v1", kind: "Secret", metadata: meta("db"), data: { password: Buffer.from("bench-pw").toString("base64") } };
    const claims = Array.from({ length: PODS }, (_, i) => ({ apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: meta(`data-${i}`), spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } }));
    const pods = claims.map((c, i) => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: meta(`app-${i}`),
      spec: {
        volumes: [{ name: "data", persistentVolumeClaim: { claimName: c.metadata.name } }],
        containers: [{ name: "app", image: "nginx:1.27", env: [{ name: "PW", valueFrom: { secretKeyRef: { name: "db", key: "password" } } }], volumeMounts: [{ name: "data", mountPath: "/data" }] }],
      },
    }));
    const uids = pods.map((p) => p.metadata.uid);
    await cluster.postEvents([secret, ...claims, ...pods].map((object) => ({ type: "ADDED", object })));
    const tracker = new PhaseTracker(cluster);
    await tracker.until(() => tracker.count("Running", uids) === PODS, { timeoutMs: 120_000, describe: () => `${tracker.count("Running", uids)}/${PODS} pods Running` });
    await cluster.postEvents([...pods.map(gone), ...claims.map(gone)]);
    for (const uid of uids) await poll(`pod ${uid} to be gone`, async () => ((await cluster.pod(uid)) === undefined ? true : undefined), { everyMs: 50, timeoutMs: 60_000 });
    await poll("claims' volumes destroyed", async () => {
      await cluster.reconcile().catch(() => undefined); // 503 while the list budget is spent: the next poll retries
      const s = await ctx.emulator.stats();
      return countCalls(diffCalls(before, s), (route, status) => route === "DELETE /v1/apps/{app_name}/volumes/{volume_id}" && status === 200) >= PODS ? true : undefined;
    }, { everyMs: 2_000, timeoutMs: 90_000 });
    await ctx.emulator.waitQuiet(1_000);
    const delta = diffCalls(before, await ctx.emulator.stats());
    ctx.log(`app-lifecycle: Machines API calls for ${PODS} pods with a secret and a claim each: ${describeCalls(delta)}`);
    return [
      metric("mutating_calls_per_app_pod_lifecycle", countCalls(delta, (route) => isMutating(route)) / PODS, "calls", `non-GET calls per pod with one secret env and one PVC (secrets, volume create/delete included); ${PODS} pods`),
      metric("api_calls_per_app_pod_lifecycle", countCalls(delta, (route) => isV1(route)) / PODS, "calls", "every Machines API call per such pod, reconcile passes included"),
      metric("app_lifecycle_429s", countCalls(delta, (_r, status) => status === 429), "calls", "429 answers during those lifecycles"),
    ];
  },
};
