// The cluster app's check on the object's real stores, with a scripted Fly and a fixed clock.
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MachinesApiError } from "../../src/machines/errors";
import { AppProvisioner } from "../../src/worker/cluster/app-provisioner";
import type { AppsPort } from "../../src/worker/cluster/machines-port";
import { openClusterState } from "../../src/worker/cluster/state";

/** A Fly whose app does not exist and whose createApp answers `failures` in turn, then creates it. */
function scriptedFly(failures: number[]): AppsPort & { creates: number } {
  const fly = {
    creates: 0,
    getApp: async (): Promise<never> => {
      throw new MachinesApiError("not_found", "app not found", 404, "getApp");
    },
    createApp: async () => {
      fly.creates++;
      const status = failures.shift();
      if (status === 429) throw new MachinesApiError("rate_limited", "rate limit exceeded", 429, "createApp");
      if (status !== undefined) throw new MachinesApiError("transient", "service unavailable", status, "createApp");
      return { id: "app1", created_at: 0 };
    },
  };
  return fly as unknown as AppsPort & { creates: number };
}

/** The delays between the app checks until the app is ready, each check run once its delay has passed. */
async function retryDelays(failures: number[]): Promise<{ delays: number[]; creates: number }> {
  const stub = env.CLUSTER.getByName(`app-check-${crypto.randomUUID()}`);
  return runInDurableObject(stub, async (_object, durable) => {
    const clock = { now: Date.UTC(2026, 0, 1) };
    const fly = scriptedFly(failures);
    const delays: number[] = [];
    const app = new AppProvisioner({
      state: openClusterState(durable.storage),
      apps: () => fly,
      appName: () => "fks-app-check",
      org: "test-org",
      now: () => clock.now,
      refreshStatus: () => {},
      retryAt: async (at) => void delays.push(at - clock.now),
      decide: () => {},
    });
    for (let check = 0; !(await app.ensure()); check++) {
      expect(check, "checks before the app was ready").toBeLessThan(10);
      expect(await app.ensure(), "a check inside the backoff asks Fly nothing").toBe(false);
      clock.now = app.notBefore();
    }
    return { delays, creates: fly.creates };
  });
}

describe("the cluster app's check", () => {
  it("after a 429 on createApp tries again once the rate-limit token is back, however many 429s came before", async () => {
    const { delays, creates } = await retryDelays([429, 429, 429, 429]);
    expect(delays).toEqual([1_000, 1_000, 1_000, 1_000]);
    expect(creates).toBe(5);
  });

  it("after server errors backs off exponentially", async () => {
    const { delays } = await retryDelays([503, 503, 503, 503]);
    const bounds = [1_000, 2_000, 4_000, 8_000];
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(bounds[i]! / 2);
      expect(d).toBeLessThanOrEqual(bounds[i]!);
    });
  });
});
