/**
 * While every wait lane is taken (wait-lanes.ts), a step whose machine is settling makes no call
 * and looks again later; the machine watch's list (exit-watch.ts) sees the machine settle and
 * schedules the pod. Real stores and steps over the in-memory Machines fake, clock moved by hand.
 */
import { describe, expect, it } from "vitest";
import { SETTLE_LOOK_MS } from "../../src/worker/cluster/converge-step";
import { MACHINE_METADATA } from "../../src/worker/translate/machine-facts";
import { pod } from "./helpers";
import { withCluster, type Harness } from "./support/cluster-harness";
import { rsPod } from "./support/template-pods";

function takeEveryLane(h: Harness): void {
  while (h.waits.tryTake());
}

describe("settling machines while every wait lane is taken", () => {
  it("a booting pod makes no wait; the watch's one list sees its machine started and the pod Running", () =>
    withCluster(async (h) => {
      takeEveryLane(h);
      const p = pod();
      h.event("ADDED", p);
      // The create step goes on to observe the new machine, and finds no lane for its wait.
      expect(await h.step(p.metadata.uid)).toMatchObject({ next: "again", inMs: SETTLE_LOOK_MS });
      expect(h.fly.ops).toEqual(["create"]);
      expect(await h.step(p.metadata.uid)).toMatchObject({ next: "again", inMs: SETTLE_LOOK_MS });
      expect(h.fly.ops).toEqual(["create"]);

      h.fly.settleAll();
      await h.watch();
      expect(h.fly.ops).toEqual(["create", "list"]);
      expect((h.fly.calls[1]!.args as { state?: string[] }).state).toContain("started");
      expect(h.pod(p.metadata.uid)).toMatchObject({ machineState: "started", phase: "Running" });
    }));

  it("a scaled-down pod's machine is still kept as a spare: no call while it stops, the watch sees it stopped", () =>
    withCluster(async (h) => {
      const p = rsPod();
      h.event("ADDED", p);
      await h.converge(p.metadata.uid);
      const id = h.pod(p.metadata.uid)!.machineId!;
      takeEveryLane(h);
      h.event("MODIFIED", { ...p, metadata: { ...p.metadata, resourceVersion: "200", deletionTimestamp: "2026-01-01T00:00:00Z", deletionGracePeriodSeconds: 30 } });
      h.fly.calls.length = 0;
      await h.step(p.metadata.uid);
      expect(h.fly.ops).toEqual(["stop"]);
      const r = await h.step(p.metadata.uid);
      expect(r).toMatchObject({ next: "again" });
      expect(r.next === "again" && r.inMs).toBeGreaterThan(0);
      expect(h.fly.ops).toEqual(["stop"]);

      h.fly.settleAll();
      await h.watch();
      expect(h.fly.ops).toEqual(["stop", "list", "update"]);
      expect(h.fly.machines.get(id)!.config?.metadata?.[MACHINE_METADATA.spare]).toBeDefined();
      expect(h.pod(p.metadata.uid)).toBeUndefined();
      expect(h.state.spares.all()).toEqual([expect.objectContaining({ machineId: id, state: "ready" })]);
    }));
});
