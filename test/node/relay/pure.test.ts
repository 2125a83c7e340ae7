/** Pure translations of the relay: terminal phases, MicroTime, taint merging. */
import { describe, expect, it } from "vitest";
import { mergeTaints, microTime, renewedLease } from "../../../src/relay/node-object";
import { isTerminalPod } from "../../../src/relay/pod-status-patch";

describe("isTerminalPod", () => {
  it("knows the terminal phases", () => {
    const p = (phase?: string) => ({ metadata: {}, status: { phase } });
    expect([p("Succeeded"), p("Failed"), p("Running"), p("Pending"), p()].map(isTerminalPod)).toEqual([true, true, false, false, false]);
  });
});

describe("node objects", () => {
  it("writes MicroTime with exactly 6 fractional digits", () => {
    expect(microTime(new Date("2026-11-23T20:27:20.834Z"))).toBe("2026-11-23T20:27:20.834000Z");
    expect(microTime(new Date("2026-11-23T20:27:20Z"))).toBe("2026-11-23T20:27:20.000000Z");
  });

  it("renews a lease keeping its resourceVersion and acquireTime", () => {
    const first = renewedLease("n", "uid-1", 40, new Date("2026-01-01T00:00:00Z"));
    const next = renewedLease("n", "uid-1", 40, new Date("2026-01-01T00:00:10Z"), { ...first, metadata: { ...first.metadata, resourceVersion: "7" } });
    expect(next.metadata.resourceVersion).toBe("7");
    expect(next.spec).toMatchObject({ holderIdentity: "n", leaseDurationSeconds: 40, acquireTime: "2026-01-01T00:00:00.000000Z", renewTime: "2026-01-01T00:00:10.000000Z" });
    expect(next.metadata.ownerReferences).toEqual([{ apiVersion: "v1", kind: "Node", name: "n", uid: "uid-1" }]);
  });

  it("replaces only the taints it manages", () => {
    const others = { key: "node.kubernetes.io/unschedulable", effect: "NoSchedule" as const };
    const old = { key: "virtual-kubelet.io/provider", value: "fly", effect: "NoSchedule" as const };
    expect(mergeTaints([others, old], null)).toEqual([others]);
    expect(mergeTaints([others, old], { key: "x", effect: "NoExecute" })).toEqual([others, { key: "x", effect: "NoExecute" }]);
    expect(mergeTaints([], old)).toEqual([old]);
  });
});
