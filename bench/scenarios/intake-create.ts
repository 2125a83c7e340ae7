/**
 * intake_create_p50_ms / p99: from "event posted" to "create call reached the Machines API".
 * t0 is taken just before the POST; t1 is when the create request reached the emulator (its request
 * log: this very process, the same `performance.now()` clock, before the emulator reads the body),
 * so the emulator's own handling is not counted and samples are not rounded to whole milliseconds.
 * Each sample uses a fresh, pre-warmed cluster, so neither the app's creation nor its create budget is measured.
 */
import { added, benchPod } from "../lib/pods";
import { percentile } from "../lib/percentiles";
import { metric, type Metric } from "../lib/results";
import type { BenchContext, Scenario } from "../lib/scenario";
import { retire } from "../lib/retire";
import { poll } from "../lib/wait";

const SAMPLES = 100;
/** Samples taken first and not counted: the first event after the worker starts compiles the intake path (~50 ms once). */
const WARMUP = 5;

export const intakeCreate: Scenario = {
  name: "intake-create",
  owns: (key) => key.startsWith("intake_create_") || key.startsWith("intake_ack_") || key.startsWith("intake_http_"),
  async run(ctx: BenchContext): Promise<Metric[]> {
    await ctx.emulator.configure({ latencyMs: 0, bootMs: 0, rateLimits: false });
    const toCreate: number[] = [];
    const toAck: number[] = [];
    await ctx.profile("intake-create", async () => {
      for (let i = 0; i < WARMUP + SAMPLES; i++) {
        if (i === WARMUP) {
          toCreate.length = 0;
          toAck.length = 0;
        }
        const cluster = ctx.newCluster("create");
        await cluster.prewarm();
        const pod = benchPod("p");
        const calls = ctx.emulator.record();
        const t0 = performance.now();
        const [result] = await cluster.postEvents([added(pod)]);
        toAck.push(performance.now() - t0);
        if (result?.outcome !== "applied") throw new Error(`event not applied: ${JSON.stringify(result)}`);
        // Let this pod finish converging so it does not overlap the next sample.
        await poll("the pod to run", async () => ((await cluster.pod(pod.metadata.uid))?.status?.phase === "Running" ? true : undefined), { everyMs: 10, timeoutMs: 30_000 });
        const create = calls().find((c) => c.method === "POST" && c.path === `/v1/apps/${cluster.app}/machines`);
        if (!create) throw new Error(`no create call reached the emulator for ${cluster.app}`);
        toCreate.push(create.start - t0);
        await retire(cluster, [pod]);
      }
    });
    const floor: number[] = [];
    const any = ctx.newCluster("floor");
    for (let i = 0; i < SAMPLES; i++) {
      const t0 = performance.now();
      await any.healthz();
      floor.push(performance.now() - t0);
    }
    const slowest = (xs: number[]) => [...xs].sort((a, b) => b - a).slice(0, 5).map((x) => x.toFixed(1)).join(", ");
    ctx.log(`intake-create: slowest samples (ms): event -> create ${slowest(toCreate)}; ack ${slowest(toAck)}; floor ${slowest(floor)}`);
    const note = `${SAMPLES} single-pod events (after ${WARMUP} not counted), each in a fresh pre-warmed cluster; emulator latency 0, rate limits off`;
    return [
      metric("intake_create_p50_ms", percentile(toCreate, 50), "ms", note),
      metric("intake_create_p99_ms", percentile(toCreate, 99), "ms", "same samples"),
      metric("intake_ack_p50_ms", percentile(toAck, 50), "ms", "same samples: POST /events until its 200 arrived"),
      metric("intake_http_floor_p50_ms", percentile(floor, 50), "ms", "GET /healthz round trip: what any request to the worker costs before its code runs"),
    ];
  },
};
