/**
 * secret_rotation_<N>_roll_s: N pods read one Secret key as env; once all run, the Secret changes
 * (MODIFIED) and the clock runs until every one of their machines carries a new version and is
 * started again (the rotation: one update per machine). Fly's limits put updates per machine
 * (1/s, burst 3), so the N updates may all go at once: the bound is one secrets write and one
 * update per machine, not N seconds. Rate limits on; 429s must be 0.
 */
import { randomUUID } from "node:crypto";
import { countCalls, describeCalls, diffCalls } from "../lib/stats";
import { PhaseTracker } from "../lib/phases";
import { benchPods, type BenchPod } from "../lib/pods";
import { metric, type Metric } from "../lib/results";
import { retire } from "../lib/retire";
import type { BenchContext, Scenario } from "../lib/scenario";
import { poll } from "../lib/wait";

const PODS = Number(process.env.BENCH_ROTATION_PODS ?? 100);

const secret = (password: string, uid: string, rv: string) => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name: "db", namespace: "default", uid, resourceVersion: rv },
  data: { password: Buffer.from(password).toString("base64") },
});

export const secretRotation: Scenario = {
  name: "secret-rotation",
  owns: (key) => key.startsWith("secret_rotation_"),
  async run(ctx: BenchContext): Promise<Metric[]> {
    await ctx.emulator.configure({ latencyMs: 0, bootMs: 0, rateLimits: true });
    const cluster = ctx.newCluster("rot");
    await cluster.prewarm();
    const secretUid = randomUUID();
    const pods = benchPods(PODS, "rot").map((p) => ({
      ...p,
      spec: { containers: [{ ...p.spec.containers[0]!, env: [{ name: "PW", valueFrom: { secretKeyRef: { name: "db", key: "password" } } }] }] },
    })) as BenchPod[];
    const uids = pods.map((p) => p.metadata.uid);
    await cluster.postEvents([{ type: "ADDED", object: secret("before", secretUid, "1") }, ...pods.map((object) => ({ type: "ADDED" as const, object }))]);
    const tracker = new PhaseTracker(cluster);
    await tracker.until(() => tracker.count("Running", uids) === PODS, { timeoutMs: PODS * 3_000 + 60_000, describe: () => `${tracker.count("Running", uids)}/${PODS} pods Running` });
    await ctx.emulator.waitQuiet(3_000);

    const live = async () => (await ctx.emulator.machines(cluster.app)).filter((m) => m.state !== "destroyed");
    const before = new Map((await live()).map((m) => [m.id, (m as { version?: string }).version]));
    const calls = await ctx.emulator.stats();
    const t0 = Date.now();
    await cluster.postEvents([{ type: "MODIFIED", object: secret("after", secretUid, "2") }]);
    await poll(
      "every machine rolled to the new Secret",
      async () => {
        const now = await live();
        const rolled = now.filter((m) => before.has(m.id) && (m as { version?: string }).version !== before.get(m.id) && m.state === "started");
        return rolled.length === PODS ? true : undefined;
      },
      { everyMs: 100, timeoutMs: 300_000 },
    );
    const rollS = (Date.now() - t0) / 1000;
    await ctx.emulator.waitQuiet(1_000);
    const delta = diffCalls(calls, await ctx.emulator.stats());
    ctx.log(`secret-rotation: Machines API calls for one Secret change under ${PODS} pods: ${describeCalls(delta)}`);
    await retire(cluster, pods);
    return [
      metric(`secret_rotation_${PODS}_roll_s`, Math.round(rollS * 100) / 100, "s", `MODIFIED Secret -> all ${PODS} machines updated and started again`),
      metric("secret_rotation_updates", countCalls(delta, (route, status) => route === "POST /v1/apps/{app_name}/machines/{machine_id}" && status === 200), "calls", "machine updates the rotation took (one per pod expected)"),
      metric("secret_rotation_429s", countCalls(delta, (_r, status) => status === 429), "calls", "429 answers during the rotation (must be 0)"),
    ];
  },
};
