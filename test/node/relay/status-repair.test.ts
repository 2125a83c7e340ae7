/**
 * StatusRepair alone, with fake timers: a pod whose copy keeps differing from the held status
 * (say, the API server stores a field otherwise than it was sent) is written at most once per
 * REPAIR_INTERVAL_MS, not once per event; a deleted pod or a gone entry holds nothing.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { KubeObject } from "../../../src/relay/kube-api";
import { REPAIR_INTERVAL_MS, StatusRepair } from "../../../src/relay/status-repair";
import type { FeedEntry } from "./fake-worker";
import { memoryLog } from "./helpers";

const status = (ready: string) => ({ phase: "Running", conditions: [{ type: "Ready", status: ready, lastProbeTime: null, lastTransitionTime: "2026-11-25T10:00:00Z" }] });
const entry = (ready: string): FeedEntry => ({ uid: "u1", namespace: "default", name: "web", status: status(ready), gone: false });
const pod = (resourceVersion: string, ready: string): KubeObject => ({ apiVersion: "v1", kind: "Pod", metadata: { uid: "u1", namespace: "default", name: "web", resourceVersion }, status: status(ready) });

describe("StatusRepair", () => {
  let pods: KubeObject[];
  let write: ReturnType<typeof vi.fn<(e: FeedEntry) => Promise<void>>>;
  let repair: StatusRepair;
  beforeEach(() => {
    vi.useFakeTimers();
    pods = [];
    write = vi.fn(async () => {});
    repair = new StatusRepair({ log: memoryLog().log, pods: () => pods, write });
    repair.start();
  });
  afterEach(async () => {
    await repair.stop();
    vi.useRealTimers();
  });

  it("writes a pod that keeps differing at most once per interval, however many events show it", async () => {
    const held = entry("True");
    repair.hold(held);
    repair.observe("MODIFIED", pod("2", "False"));
    await vi.advanceTimersByTimeAsync(0);
    expect(write.mock.calls).toEqual([[held]]);

    pods = [pod("3", "False")];
    repair.observe("MODIFIED", pods[0]!);
    await vi.advanceTimersByTimeAsync(REPAIR_INTERVAL_MS - 1);
    expect(write).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(write).toHaveBeenCalledTimes(2);
  });

  it("writes nothing for a copy that agrees, a deleted pod, or a gone entry", async () => {
    repair.hold(entry("True"));
    repair.observe("MODIFIED", pod("2", "True"));
    repair.observe("DELETED", pod("3", "True"));
    repair.observe("MODIFIED", pod("4", "False"));
    repair.hold(entry("True"));
    repair.hold({ ...entry("True"), status: null, gone: true });
    pods = [pod("5", "False")];
    await vi.advanceTimersByTimeAsync(REPAIR_INTERVAL_MS);
    expect(write).not.toHaveBeenCalled();
  });
});
