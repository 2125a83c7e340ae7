/**
 * The work loop keeps converging while some steps block: a pod whose work comes due while other
 * pods' `wait` calls are open (machines that take long to boot) is stepped then, not once the
 * slowest wait ends; and waits never take more than their lanes (wait-lanes.ts), so on Cloudflare
 * creates never queue behind them for a connection. Real stores and the real loop; the Machines
 * calls are the in-memory fake, whose waits block until the test releases them; the real clock.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { applyEvent } from "../../src/worker/cluster/intake";
import { translateContextOf } from "../../src/worker/cluster/object-lookups";
import { RateBudget } from "../../src/worker/cluster/rate-budget";
import { openClusterState } from "../../src/worker/cluster/state";
import { StatusPublisher } from "../../src/worker/cluster/status-publisher";
import { WAIT_LANES } from "../../src/worker/cluster/wait-lanes";
import { WorkLoop } from "../../src/worker/cluster/work-loop";
import { SETTLE_LOOK_MS } from "../../src/worker/cluster/converge-step";
import { DEFAULT_SPARE_TTL_MS } from "../../src/worker/translate/spare-template";
import { eventually, pod } from "./helpers";
import { CLUSTER, convergeContextOf } from "./support/cluster-harness";
import { FakeMachines } from "./support/fake-machines";

/** A fresh cluster's stores with `n` pods posted at once, and a converge context over the in-memory fake. */
function posted(durable: DurableObjectState, n: number) {
  const now = Date.now;
  const state = openClusterState(durable.storage);
  const fly = new FakeMachines(now);
  const status = new StatusPublisher(state, now);
  const decide = () => {};
  const ctx = convergeContextOf(state, fly, new RateBudget(now), status, now, decide, { count: null, ttlMs: DEFAULT_SPARE_TTL_MS });
  const intake = { pods: state.pods, objects: state.objects, claims: state.claimVolumes, appPorts: state.appPorts, cluster: CLUSTER, lookups: translateContextOf(CLUSTER, state), now: now(), schedule: (uid: string) => state.work.schedule(uid, now()), status, decide };
  for (let i = 0; i < n; i++) applyEvent(intake, { type: "ADDED", object: pod() });
  return { state, fly, ctx, now };
}

/** `n` pods posted at once; the loop drains them while every `wait` blocks until `check` has run. */
async function withBlockedWaits(n: number, check: (fly: FakeMachines) => Promise<void>): Promise<void> {
  await runInDurableObject(env.CLUSTER.getByName(`loop-${crypto.randomUUID()}`), async (_object, durable) => {
    const { state, fly, ctx, now } = posted(durable, n);
    let release!: () => void;
    fly.waitsBlockUntil = new Promise<void>((r) => (release = r));
    const loop = new WorkLoop(state.work, () => ctx, now, (e) => { throw e; });
    const drained = loop.drain(async () => true, async () => {});
    try {
      await check(fly);
    } finally {
      release();
    }
    await drained;
  });
}

const creates = (fly: FakeMachines) => fly.ops.filter((op) => op === "create").length;

describe("work loop", () => {
  // Fly's create limit (burst 3, then 1/s): three creates go at once and their machines' waits
  // block (machines that take long to boot); the next creates' slots open about 2, 3 and 4 s later.
  it("issues creates whose budget slots open while other pods' waits are still open", { timeout: 30_000 }, async () => {
    await withBlockedWaits(6, async (fly) => {
      await eventually("six creates", async () => creates(fly) === 6);
      expect(fly.waitsOpen).toBe(WAIT_LANES);
    });
  });

  it(`keeps at most ${WAIT_LANES} waits open however many machines boot (the other connections stay free)`, { timeout: 30_000 }, async () => {
    await withBlockedWaits(8, async (fly) => {
      await eventually("eight creates", async () => creates(fly) === 8);
      // Every pod has looked at its booting machine at least once since its create.
      await new Promise((r) => setTimeout(r, 2 * SETTLE_LOOK_MS));
      expect(fly.maxWaitsOpen).toBe(WAIT_LANES);
    });
  });

  it("a step that throws (a storage error) ends its lane alone: the others converge its pod too, afterwards runs, the drain resolves", async () => {
    await runInDurableObject(env.CLUSTER.getByName(`loop-${crypto.randomUUID()}`), async (_object, durable) => {
      const { state, fly, ctx, now } = posted(durable, 3);
      let thrown = false;
      const failures: unknown[] = [];
      let afterwards = 0;
      const context = () => {
        if (thrown) return ctx;
        thrown = true;
        throw new Error("SQLITE_FULL: database or disk is full");
      };
      await new WorkLoop(state.work, context, now, (e) => failures.push(e)).drain(async () => true, async () => void afterwards++);
      expect(failures.map((e) => (e as Error).message)).toEqual(["SQLITE_FULL: database or disk is full"]);
      expect(afterwards).toBe(1);
      expect(creates(fly)).toBe(3);
    });
  });
});
