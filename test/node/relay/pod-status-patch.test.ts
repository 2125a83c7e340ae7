/**
 * The relay's pod status write, as the kubelet makes it: a two-way strategic merge patch against
 * the current status. Checked by applying each patch with the K8s stand-in's strategic merge (the
 * API server's semantics): the result is exactly the reported status plus what others own.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { strategicMerge } from "../../../src/k8s/standin/strategic-merge";
import { mergedPodStatus, podStatusPatch } from "../../../src/relay/pod-status-patch";
import type { JsonObject } from "../../../src/shared/json";

const T0 = "2026-11-25T10:00:00Z";
const cond = (type: string, status: string, extra: JsonObject = {}) => ({ type, status, lastTransitionTime: T0, ...extra });

const waitingForBudget: JsonObject = {
  phase: "Pending",
  reason: "RateBudget",
  message: "waiting 1.7 s for the Machines API rate budget",
  conditions: [cond("Ready", "False", { reason: "ContainersNotReady", message: "containers with unready status: [main]" }), cond("ContainersReady", "False", { reason: "ContainersNotReady" })],
  containerStatuses: [{ name: "main", image: "nginx", imageID: "", ready: false, restartCount: 0, state: { waiting: { reason: "RateBudget" } }, lastState: {} }],
};
const running: JsonObject = {
  phase: "Running",
  podIP: "fdaa::3",
  podIPs: [{ ip: "fdaa::3" }],
  startTime: T0,
  conditions: [cond("Ready", "True"), cond("ContainersReady", "True")],
  containerStatuses: [{ name: "main", image: "nginx", imageID: "", ready: true, started: true, restartCount: 0, state: { running: { startedAt: T0 } }, lastState: {} }],
};
/** What the API server holds besides: the scheduler's condition and the QoS class set on create. */
const serverOwned: JsonObject = { qosClass: "BestEffort", conditions: [cond("PodScheduled", "True")] };

function apply(current: JsonObject, reported: JsonObject): JsonObject {
  const patch = podStatusPatch("u1", current, reported);
  if (!patch) return current;
  expect(patch.metadata).toEqual({ uid: "u1" });
  return strategicMerge("Pod", { metadata: { uid: "u1" }, status: current }, patch).status as JsonObject;
}

const withServerFields = (s: JsonObject): JsonObject => ({ ...s, qosClass: "BestEffort", conditions: [cond("PodScheduled", "True"), ...(s.conditions as JsonObject[])] });

describe("podStatusPatch", () => {
  it("deletes what the new status no longer has: waiting -> running -> waiting with another reason", () => {
    let status = apply(serverOwned, waitingForBudget);
    expect(status).toEqual(withServerFields(waitingForBudget));

    status = apply(status, running);
    expect(status).toEqual(withServerFields(running));
    expect(status.reason).toBeUndefined();
    expect((status.conditions as JsonObject[]).find((c) => c.type === "Ready")).toEqual(cond("Ready", "True"));

    const retrying = { ...waitingForBudget, reason: "ProviderRetrying", message: "Fly answered 503", containerStatuses: [{ ...(waitingForBudget.containerStatuses as JsonObject[])[0], state: { waiting: { reason: "ProviderRetrying" } } }] };
    status = apply(status, retrying);
    expect(status).toEqual(withServerFields(retrying));
  });

  it("removes a condition the worker dropped and keeps conditions of other owners", () => {
    const current = { ...withServerFields(running), conditions: [cond("PodScheduled", "True"), cond("example.com/Gate", "True"), ...(running.conditions as JsonObject[]), cond("machinelet.fly.io/NotHonoured", "True", { message: "x" })] };
    const patch = podStatusPatch("u1", current, { ...running, conditions: [...(running.conditions as JsonObject[]), cond("PodScheduled", "False")] })!;
    expect(patch.status!.conditions).toEqual([{ type: "machinelet.fly.io/NotHonoured", $patch: "delete" }]);
    const status = strategicMerge("Pod", { status: current }, patch).status as JsonObject;
    expect((status.conditions as JsonObject[]).map((c) => c.type)).toEqual(["PodScheduled", "example.com/Gate", "Ready", "ContainersReady"]);
  });

  it("writes nothing when the pod already shows the status (null and absent alike)", () => {
    expect(podStatusPatch("u1", withServerFields(running), running)).toBeUndefined();
    const withNulls = { ...running, conditions: (running.conditions as JsonObject[]).map((c) => ({ ...c, lastProbeTime: null })) };
    expect(podStatusPatch("u1", withServerFields(running), withNulls)).toBeUndefined();
  });

  it("for any current and reported status, the patched status is the merged one", () => {
    const reason = fc.constantFrom(undefined, "RateBudget", "ProviderRetrying", "ContainersNotReady", "CrashLoopBackOff");
    const optional = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
    const condition = fc.record(
      { type: fc.constantFrom("Ready", "ContainersReady", "Initialized", "PodScheduled", "example.com/Gate", "machinelet.fly.io/Guest"), status: fc.constantFrom("True", "False"), reason, message: optional(fc.string({ maxLength: 5 })), lastProbeTime: fc.constant(null) },
      { requiredKeys: ["type", "status"] },
    );
    const containerStatus = fc.record({ name: fc.constantFrom("a", "b"), ready: fc.boolean(), state: fc.oneof(fc.record({ waiting: fc.record({ reason }, { requiredKeys: [] }) }), fc.record({ running: fc.record({ startedAt: fc.constant(T0) }) })) });
    const ip = fc.constantFrom("fdaa::1", "fdaa::2");
    const status = fc.record(
      {
        phase: fc.constantFrom("Pending", "Running"),
        reason,
        message: optional(fc.string({ maxLength: 5 })),
        conditions: fc.uniqueArray(condition, { selector: (c) => c.type, maxLength: 6 }),
        podIPs: fc.uniqueArray(ip.map((i) => ({ ip: i })), { selector: (x) => x.ip, maxLength: 2 }),
        containerStatuses: fc.array(containerStatus, { maxLength: 2 }),
        qosClass: fc.constantFrom("BestEffort", "Burstable"),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(status, status, (current, reported) => {
        const clean = (v: unknown) => JSON.parse(JSON.stringify(v, (_k, x) => (x === null ? undefined : x))) as JsonObject;
        const want = clean(mergedPodStatus(clean(current), clean(reported)));
        const got = clean(apply(clean(current), clean(reported)));
        if (Array.isArray(want.conditions) && want.conditions.length === 0) delete want.conditions;
        expect(got).toEqual(want);
      }),
      { numRuns: 500 },
    );
  });
});
