/**
 * intake_create_p50_ms / p99: from "event posted" to "create call reached the Machines API".
 * t0 is taken just before the POST; t1 is the machine's `createdAt`, which the emulator (in this
 * very process, so on the same clock) stamps when its create handler runs. Each sample uses a
 * fresh, pre-warmed cluster, so neither the app's creation nor its create budget is measured.
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
        const t0 = Date.now();
        const [result] = await cluster.postEvents([added(pod)]);
        toAck.push(Date.now() - t0);
        if (result?.outcome !== "applied") throw new Error(`event not applied: ${JSON.stringify(result)}`);
        const machine = await poll("the pod's machine", async () => (await ctx.emulator.machines(cluster.app))[0], { everyMs: 5, timeoutMs: 30_000 });
        toCreate.push(machine.createdAt - t0);
        // Let this pod finish converging so it does not overlap the next sample.
        await poll("the pod to run", async () => ((await cluster.pod(pod.metadata.uid))?.status?.phase === "Running" ? true : undefined), { everyMs: 10, timeoutMs: 30_000 });
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
    const slowest = (xs: number[]) => [...xs].sort((a, b) => b - a).slice(0, 5).join(", ");
    ctx.log(`intake-create: slowest samples (ms): event -> create ${slowest(toCreate)}; ack ${slowest(toAck)}; floor ${slowest(floor).replace(/(\.\d)\d+/g, "$1")}`);
    const note = `${SAMPLES} single-pod events (after ${WARMUP} not counted), each in a fresh pre-warmed cluster; emulator latency 0, rate limits off`;
    return [
      metric("intake_create_p50_ms", percentile(toCreate, 50), "ms", note),
      metric("intake_create_p99_ms", percentile(toCreate, 99), "ms", "same samples"),
      metric("intake_ack_p50_ms", percentile(toAck, 50), "ms", "same samples: POST /events until its 200 arrived"),
      metric("intake_http_floor_p50_ms", percentile(floor, 50), "ms", "GET /healthz round trip: what any request to wrangler dev costs before the worker runs"),
    ];
  },
};
