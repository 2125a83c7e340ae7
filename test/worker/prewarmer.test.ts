import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Prewarmer } from "../../src/worker/cluster/prewarmer";
import type { PrewarmOutcome, SparePoolContext } from "../../src/worker/cluster/spare-pool";

describe("Prewarmer: when pre-warming looks again", () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  /** A pre-warmer whose passes answer `outcome()`; `passes` holds when each ran. */
  const prewarmer = (outcome: () => PrewarmOutcome) => {
    const passes: number[] = [];
    const p = new Prewarmer(() => ({}) as SparePoolContext, async () => true, () => true, Date.now, async () => {
      passes.push(Date.now());
      return outcome();
    });
    return { p, passes };
  };
  const gaps = (ts: number[]) => ts.slice(1).map((t, i) => t - ts[i]!);

  it("looks again every second while only the budget holds spares back, and stops once none is missing", async () => {
    let missing = 1;
    const { p, passes } = prewarmer(() => ({ missing, failed: false }));
    await p.kick();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(gaps(passes)).toEqual([1_000, 1_000, 1_000, 1_000, 1_000]);
    missing = 0;
    await vi.advanceTimersByTimeAsync(1_000);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(passes).toHaveLength(7);
  });

  it("after failed creates backs off from 1 s to 60 s however often it is kicked, and a pass that fails no more ends the back-off", async () => {
    let failed = true;
    const { p, passes } = prewarmer(() => ({ missing: 1, failed }));
    await p.kick();
    for (let s = 0; s < 600; s++) {
      await vi.advanceTimersByTimeAsync(1_000);
      void p.kick(); // kicked every second (a reconcile pass kicks it every 20 s)
    }
    // Ten minutes of failures: 0.5-1, 1-2, 2-4 ... 30-60 s apart (full jitter), not 600 creates.
    expect(passes.length).toBeGreaterThanOrEqual(10);
    expect(passes.length).toBeLessThanOrEqual(26);
    for (const [i, g] of gaps(passes).entries()) {
      expect(g).toBeGreaterThanOrEqual(Math.min(30_000, 500 * 2 ** i));
      expect(g).toBeLessThanOrEqual(Math.min(60_000, 1_000 * 2 ** i));
    }
    failed = false;
    await vi.advanceTimersByTimeAsync(61_000);
    const n = passes.length;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(passes.length - n).toBe(5);
  });
});
