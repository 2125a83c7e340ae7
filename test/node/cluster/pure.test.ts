import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoffMs } from "../../../src/worker/cluster/backoff";
import { adoptedHash, configDrifted } from "../../../src/worker/cluster/config-drift";
import { RateBudget, type BudgetAction } from "../../../src/worker/cluster/rate-budget";
import { isNewer } from "../../../src/worker/cluster/resource-version";

describe("RateBudget: Fly's documented limits as reservations", () => {
  const clock = () => {
    let t = 1_000_000;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  };

  it("lets a burst of 3 creates per app go at once, then queues one slot per second, in order", () => {
    const c = clock();
    const b = new RateBudget(c.now);
    const waits = Array.from({ length: 6 }, () => b.reserve("create", "app"));
    expect(waits).toEqual([0, 0, 0, 2_000, 3_000, 4_000]);
  });

  it("takes back a slot its holder no longer needs, so the queue behind it shortens", () => {
    const b = new RateBudget(clock().now);
    for (let i = 0; i < 60; i++) b.reserve("create", "app");
    for (let i = 0; i < 60; i++) b.release("create", "app");
    expect(b.reserve("create", "app")).toBe(0);
    for (let i = 0; i < 10; i++) b.release("create", "app");
    expect(Array.from({ length: 4 }, () => b.reserve("create", "app"))).toEqual([0, 0, 0, 2_000]);
  });

  it("keeps buckets apart per action and per scope", () => {
    const b = new RateBudget(clock().now);
    for (let i = 0; i < 3; i++) b.reserve("start", "m1");
    expect(b.reserve("start", "m1")).toBeGreaterThan(0);
    expect(b.reserve("start", "m2")).toBe(0);
    expect(b.reserve("stop", "m1")).toBe(0);
  });

  it("gives get 5/s with a burst of 10", () => {
    const b = new RateBudget(clock().now);
    expect(Array.from({ length: 10 }, () => b.reserve("get", "m"))).toEqual(Array(10).fill(0));
    expect(b.reserve("get", "m")).toBe(200 + 1_000);
  });

  it("refills with time, never above the burst", () => {
    const c = clock();
    const b = new RateBudget(c.now);
    for (let i = 0; i < 3; i++) b.reserve("update", "m");
    c.advance(60_000);
    expect([b.reserve("update", "m"), b.reserve("update", "m"), b.reserve("update", "m"), b.reserve("update", "m")]).toEqual([0, 0, 0, 2_000]);
  });

  it("a 429 never erases slots already handed out: the retry queues behind them", () => {
    const b = new RateBudget(clock().now);
    const waits = Array.from({ length: 10 }, () => b.reserve("create", "app"));
    expect(waits.at(-1)).toBe(8_000);
    b.drain("create", "app", 1_000);
    expect(b.reserve("create", "app")).toBe(9_000);
  });

  it("a holder asking again keeps its slot: retries never spend a second token", () => {
    const c = clock();
    const b = new RateBudget(c.now);
    for (let i = 0; i < 3; i++) expect(b.slotFor(`p${i}`, "create", "app")).toBe(0);
    expect(b.slotFor("late", "create", "app")).toBe(2_000);
    c.advance(500);
    expect(b.slotFor("late", "create", "app")).toBe(1_500);
    expect(b.slotFor("next", "create", "app")).toBe(2_500);
    c.advance(1_500);
    expect(b.slotFor("late", "create", "app")).toBe(0);
    expect(b.reservations().has("late:create")).toBe(false);
  });

  it("a slot left unused past the margin has lapsed: the late call reserves anew", () => {
    const c = clock();
    const b = new RateBudget(c.now);
    for (let i = 0; i < 3; i++) b.slotFor(`p${i}`, "get_volume", "app");
    expect(b.slotFor("late", "get_volume", "app")).toBe(2_000);
    c.advance(60_000); // the bucket is full again, as Fly's is: the old slot would be a fourth call in the burst
    for (let i = 0; i < 3; i++) expect(b.slotFor(`q${i}`, "get_volume", "app")).toBe(0);
    expect(b.slotFor("late", "get_volume", "app")).toBeGreaterThan(0);
  });

  it("forgo gives a queued slot back; a holder without one changes nothing", () => {
    const b = new RateBudget(clock().now);
    for (let i = 0; i < 3; i++) b.slotFor(`p${i}`, "create", "app");
    expect(b.slotFor("gone", "create", "app")).toBe(2_000);
    b.forgo("gone", "create", "app");
    b.forgo("never", "create", "app");
    expect(b.slotFor("next", "create", "app")).toBe(2_000);
  });

  it("a volume read is not a machine read: Get Volume has the default 1/s, burst 3", () => {
    const b = new RateBudget(clock().now);
    expect(Array.from({ length: 4 }, () => b.reserve("get_volume", "app"))).toEqual([0, 0, 0, 2_000]);
    expect(Array.from({ length: 4 }, () => b.reserve("wait", "m"))).toEqual([0, 0, 0, 2_000]);
  });

  it("after a 429 waits out the given time before the next slot", () => {
    const c = clock();
    const b = new RateBudget(c.now);
    b.drain("create", "app", 5_000);
    expect(b.reserve("create", "app")).toBe(5_000 + 1_000);
  });

  it("forgetting a lapsed slot gives nothing back: the bucket refilled past it", () => {
    const c = clock();
    const b = new RateBudget(c.now);
    for (let i = 0; i < 3; i++) b.slotFor(`p${i}`, "create", "app");
    expect(b.slotFor("gone", "create", "app")).toBe(2_000);
    c.advance(3_500); // opened at 2 s, lapsed a margin later; 2.5 tokens since
    b.forgo("gone", "create", "app");
    expect(b.reservations().has("gone:create")).toBe(false);
    expect(Array.from({ length: 3 }, () => b.reserve("create", "app"))).toEqual([0, 0, 1_500]);
  });

  it("holds only the buckets and slots still in use: churning through 10,000 machines leaves no trail", () => {
    const c = clock();
    const b = new RateBudget(c.now);
    let most = 0;
    for (let i = 0; i < 10_000; i++) {
      b.reserve("get", `m${i}`);
      b.reserve("stop", `m${i}`);
      if (i % 25 === 0) b.slotFor(`pod${i}`, "create", "app"); // two a second: half of them queue
      most = Math.max(most, b.size);
      c.advance(20);
    }
    // About a second's worth of machines (stop refills in 1 s) is in use at a time, and the create queue.
    expect(most).toBeLessThan(600);
  });

  it("dropping what is full or lapsed changes no answer (against a budget that keeps everything)", () => {
    const op = fc.record({
      kind: fc.constantFrom("reserve", "tryReserve", "slotFor", "forgo", "release", "drain"),
      action: fc.constantFrom<BudgetAction>("create", "get", "start", "stop", "update", "wait", "delete", "list"),
      // Machines come and go: each is called for a few seconds, then never again.
      scope: fc.integer({ min: 0, max: 3 }),
      holder: fc.integer({ min: 0, max: 29 }),
      ms: fc.integer({ min: 0, max: 1_500 }),
    });
    fc.assert(
      fc.property(fc.array(op, { minLength: 1_000, maxLength: 4_000 }), (ops) => {
        const c = clock();
        const real = new RateBudget(c.now);
        const kept = new KeepingBudget(c.now);
        for (const [i, o] of ops.entries()) {
          c.advance(o.ms % 41);
          const scope = `m${(i >> 5) + o.scope}`;
          const holder = `h${o.holder}`;
          const answer = (x: RateBudget | KeepingBudget) => {
            switch (o.kind) {
              case "reserve": return x.reserve(o.action, scope);
              case "tryReserve": return x.tryReserve(o.action, scope, o.holder % 3);
              case "slotFor": return x.slotFor(holder, o.action, scope);
              case "forgo": return x.forgo(holder, o.action, scope);
              case "release": return x.release(o.action, scope);
              case "drain": return x.drain(o.action, scope, o.ms);
            }
          };
          expect(answer(real)).toEqual(answer(kept));
        }
        const open = (m: ReadonlyMap<string, number>) => new Map([...m].filter(([, at]) => c.now() - at <= 1_000));
        expect(open(real.reservations())).toEqual(open(kept.reservations()));
      }),
      { numRuns: 40, endOnFailure: true },
    );
  });
});

/** RateBudget's rules with nothing ever dropped: the reference its sweeping must agree with. */
class KeepingBudget {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #slots = new Map<string, number>();
  constructor(private readonly now: () => number) {}
  #limit(action: BudgetAction) {
    return action === "get" ? { ratePerS: 5, burst: 10 } : { ratePerS: 1, burst: 3 };
  }
  #refilled(action: BudgetAction, scope: string) {
    const limit = this.#limit(action);
    const now = this.now();
    const b = this.#buckets.get(`${action}:${scope}`) ?? { tokens: limit.burst, at: now };
    b.tokens = Math.min(limit.burst, b.tokens + ((now - b.at) / 1000) * limit.ratePerS);
    b.at = now;
    this.#buckets.set(`${action}:${scope}`, b);
    return { b, limit };
  }
  reserve(action: BudgetAction, scope: string): number {
    const { b, limit } = this.#refilled(action, scope);
    b.tokens -= 1;
    return b.tokens >= 0 ? 0 : Math.ceil((-b.tokens / limit.ratePerS) * 1000) + 1_000;
  }
  tryReserve(action: BudgetAction, scope: string, keep: number): boolean {
    const { b } = this.#refilled(action, scope);
    if (b.tokens - 1 < keep) return false;
    b.tokens -= 1;
    return true;
  }
  release(action: BudgetAction, scope: string): void {
    if (!this.#buckets.has(`${action}:${scope}`)) return;
    const { b, limit } = this.#refilled(action, scope);
    b.tokens = Math.min(limit.burst, b.tokens + 1);
  }
  drain(action: BudgetAction, scope: string, waitMs: number): void {
    const { b, limit } = this.#refilled(action, scope);
    b.tokens = Math.min(b.tokens, 1 - (waitMs / 1000) * limit.ratePerS);
  }
  slotFor(holder: string, action: BudgetAction, scope: string): number {
    const now = this.now();
    const held = this.#slots.get(`${holder}:${action}`);
    const waitMs = held !== undefined && now - held <= 1_000 ? Math.max(0, held - now) : this.reserve(action, scope);
    if (waitMs > 0) this.#slots.set(`${holder}:${action}`, now + waitMs);
    else this.#slots.delete(`${holder}:${action}`);
    return waitMs;
  }
  forgo(holder: string, action: BudgetAction, scope: string): void {
    const at = this.#slots.get(`${holder}:${action}`);
    if (at === undefined) return;
    this.#slots.delete(`${holder}:${action}`);
    if (this.now() - at <= 1_000) this.release(action, scope);
  }
  reservations(): ReadonlyMap<string, number> {
    return this.#slots;
  }
}

describe("backoffMs", () => {
  it.each([
    [0, 0, 500],
    [0, 1, 1_000],
    [3, 0, 4_000],
    [3, 1, 8_000],
    [10, 1, 60_000],
    [40, 0.5, 45_000],
  ])("attempt %i with jitter %f -> %i ms", (attempts, r, ms) => {
    expect(backoffMs(attempts, () => r)).toBe(ms);
  });
});

describe("configDrifted: only what machinelet set counts", () => {
  const desired = { image: "nginx", env: { A: "1" }, checks: { r: { port: 80 } }, containers: [{ name: "a", image: "x" }] };
  it.each([
    ["identical", desired, false],
    ["Fly added defaults and fields", { ...desired, init: {}, guest: { cpus: 1 }, checks: { r: { port: 80, interval: "15s" } } }, false],
    ["image changed", { ...desired, image: "evil" }, true],
    ["env value changed", { ...desired, env: { A: "2" } }, true],
    ["env key removed", { ...desired, env: {} }, true],
    ["a container added", { ...desired, containers: [{ name: "a", image: "x" }, { name: "b", image: "y" }] }, true],
    ["no config at all", undefined, true],
  ])("%s -> %s", (_n, observed, drifted) => {
    expect(configDrifted(desired, observed)).toBe(drifted);
  });

  it("adoptedHash keeps the pod's hash only for a machine that carries the pod's config", () => {
    const pod = { config: desired, configHash: "h1" };
    expect(adoptedHash(pod, { ...desired, extra: true })).toBe("h1");
    expect(adoptedHash(pod, { ...desired, image: "other" })).toBeNull();
    expect(adoptedHash({ config: null, configHash: null }, desired)).toBeNull();
  });
});

describe("isNewer: resourceVersion order", () => {
  it.each([
    ["10", "9", true],
    ["9", "10", false],
    ["10", "10", false],
    ["100", "99", true],
    ["abc", "abd", true],
    ["abc", "abc", false],
  ])("%s after %s -> %s", (incoming, stored, newer) => {
    expect(isNewer(incoming, stored)).toBe(newer);
  });
});
