// Pod Events from the status feed: what a status shows, and how the recorder counts it against
// the stand-in (deterministic names, counted once per occurrence, across restarts, spam filter).
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startK8sStandin, type K8sStandin } from "../../../src/k8s/standin/server";
import { EventRecorder } from "../../../src/relay/events/event-recorder";
import { occurrencesOf } from "../../../src/relay/events/pod-occurrences";
import { KubeApi } from "../../../src/relay/kube-api";
import { createLogger } from "../../../src/relay/log";

const running = (startedAt: string, restartCount = 0, last?: Record<string, unknown>) => ({
  phase: "Running",
  conditions: [
    { type: "Ready", status: "True", lastTransitionTime: startedAt },
    { type: "machinelet.fly.io/Guest", status: "True", message: "shared-cpu-1x, 256 MB" },
  ],
  containerStatuses: [{ name: "main", ready: true, restartCount, containerID: "fly://m1", state: { running: { startedAt } }, lastState: last ? { terminated: last } : {} }],
});

describe("occurrences of a status", () => {
  it("machine created, started, and after a restart the exit that caused it", () => {
    expect(occurrencesOf(running("2026-01-01T00:00:00Z")).map((o) => [o.reason, o.message])).toEqual([
      ["MachineCreated", "Created Fly Machine m1 (shared-cpu-1x, 256 MB)"],
      ["Started", "Started container main"],
    ]);
    const after = occurrencesOf(running("2026-01-01T00:01:00Z", 1, { exitCode: 137, reason: "OOMKilled", finishedAt: "2026-01-01T00:00:59Z" }));
    expect(after.map((o) => o.reason)).toEqual(["MachineCreated", "Started", "Restarted", "OOMKilled"]);
    expect(after.find((o) => o.reason === "OOMKilled")).toMatchObject({ type: "Warning", message: "Container main was killed: out of memory (exit code 137)", at: "2026-01-01T00:00:59Z" });
  });

  it("a readiness check that fails within the second the container started is Unhealthy; Ready lost to the exit before a restart is not", () => {
    const unready = (startedAt: string, falseAt: string, last?: Record<string, unknown>) => {
      const s = running(startedAt, last ? 1 : 0, last);
      return { ...s, conditions: [{ type: "Ready", status: "False", lastTransitionTime: falseAt }, s.conditions[1]!], containerStatuses: [{ ...s.containerStatuses[0]!, ready: false }] };
    };
    const reasons = (s: unknown) => occurrencesOf(s as never).map((o) => o.reason);
    expect(reasons(unready("2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"))).toContain("Unhealthy");
    expect(reasons(unready("2026-01-01T00:00:00Z", "2026-01-01T00:00:05Z"))).toContain("Unhealthy");
    expect(reasons(unready("2026-01-01T00:00:05Z", "2026-01-01T00:00:00Z"))).not.toContain("Unhealthy");
    expect(reasons(unready("2026-01-01T00:00:05Z", "2026-01-01T00:00:05Z", { exitCode: 3, reason: "Error", finishedAt: "2026-01-01T00:00:05Z" }))).not.toContain("Unhealthy");
  });

  it("a missing reference, unhonoured fields, provider retries and the rate budget", () => {
    const found = occurrencesOf({
      reason: "ProviderError",
      message: "Fly answered 503, retrying in 4 s",
      conditions: [{ type: "machinelet.fly.io/NotHonoured", status: "True", message: "not honoured: spec.containers[0].ports[0].hostPort" }],
      containerStatuses: [{ name: "main", state: { waiting: { reason: "CreateContainerConfigError", message: 'secret "db" not found' } } }],
    });
    expect(found.map((o) => [o.type, o.reason, o.message])).toEqual([
      ["Warning", "Failed", 'Error: secret "db" not found'],
      ["Warning", "NotHonoured", "not honoured: spec.containers[0].ports[0].hostPort"],
      ["Warning", "ProviderRetrying", "Fly answered 503, retrying in 4 s"],
    ]);
    expect(occurrencesOf({ reason: "RateBudget", message: "waiting 1.5 s for the Machines API rate budget (create on app)" })[0]).toMatchObject({ reason: "WaitingForRateBudget", message: "waiting for the Machines API rate budget (create on app)" });
  });

  it.each([
    ["InvalidImageName", 'Failed to apply default image tag "A B": couldn\'t parse image name "A B": invalid reference format', ["Warning", "InspectFailed", 'Failed to apply default image tag "A B": couldn\'t parse image name "A B": invalid reference format']],
    ["ErrImagePull", 'Failed to pull image "x:1": failed to launch VM: not found', ["Warning", "Failed", 'Failed to pull image "x:1": failed to launch VM: not found']],
    ["ImagePullBackOff", 'Back-off pulling image "x:1": ErrImagePull: failed to launch VM: not found', ["Normal", "BackOff", 'Back-off pulling image "x:1"']],
  ])("a container waiting with %s: the kubelet's event, then Error: <reason>", (reason, message, first) => {
    const found = occurrencesOf({ reason, message, containerStatuses: [{ name: "main", state: { waiting: { reason, message } } }] });
    expect(found.map((o) => [o.type, o.reason, o.message])).toEqual([first, ["Warning", "Failed", `Error: ${reason}`]]);
    expect(found.every((o) => o.fieldPath === "spec.containers{main}")).toBe(true);
  });
});

describe("the event recorder", () => {
  let k8s: K8sStandin;
  let api: KubeApi;
  const pod = { namespace: "default", name: "web", uid: "uid-1" };
  const recorder = (now = () => Date.now()) => new EventRecorder({ api, log: createLogger({ level: "error" }), nodeName: "fks-test", now });
  const events = async () => (await api.request<{ items: Array<{ reason: string; count: number; source: unknown; involvedObject: unknown }> }>("GET", "/api/v1/namespaces/default/events")).items;

  beforeAll(async () => {
    k8s = await startK8sStandin();
    const kc = new KubeConfig();
    kc.loadFromString(k8s.kubeconfig);
    api = new KubeApi(kc, 5000);
  });
  afterAll(() => k8s?.close());

  it("writes one Event per occurrence, counts a new occurrence, and ignores a repeat even after a restart", async () => {
    const first = recorder();
    const started = { type: "Normal" as const, reason: "Started", message: "Started container main", at: "2026-01-01T00:00:00Z", fieldPath: "spec.containers{main}" };
    await first.record(pod, started);
    await first.record(pod, started);
    await recorder().record(pod, started); // a restarted relay, its cache empty
    let list = await events();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ count: 1, source: { component: "machinelet", host: "fks-test" }, involvedObject: { kind: "Pod", name: "web", uid: "uid-1", fieldPath: "spec.containers{main}" } });
    await recorder().record(pod, { ...started, at: "2026-01-01T00:05:00Z" });
    await first.record(pod, { ...started, at: "2026-01-01T00:05:00Z" });
    list = await events();
    expect(list).toHaveLength(1);
    expect(list[0]!.count).toBe(2);
  });

  it("drops what exceeds the spam filter's burst of 25 per object, and takes more as tokens come back", async () => {
    let now = 0;
    const r = recorder(() => now);
    const noisy = { namespace: "default", name: "noisy", uid: "uid-2" };
    for (let i = 0; i < 30; i++) await r.record(noisy, { type: "Warning", reason: "Exited", message: `exit ${i}`, at: "once" });
    expect((await events()).filter((e) => e.reason === "Exited")).toHaveLength(25);
    now += 300_000;
    await r.record(noisy, { type: "Warning", reason: "Exited", message: "exit 99", at: "once" });
    expect((await events()).filter((e) => e.reason === "Exited")).toHaveLength(26);
  });
});
