// machineToPodStatus: the PodStatus a kubelet would write for the Machine, case by case.
import { describe, expect, it } from "vitest";
import type { Pod, PodStatus } from "../../../src/shared/k8s";
import type { Machine } from "../../../src/machines/schemas";
import type { ObservedEvent } from "../../../src/worker/translate/machine-events";
import { machineToPodStatus, type ObservedMachine, type PodStatusInput } from "../../../src/worker/translate/machine-to-pod-status";
import { loadObject } from "../../fixtures/manifests/load";
import { makePod, oneContainer } from "./pods";

const NOW = "2026-11-20T12:00:00Z";
const IP = "fdaa:0:3b99:a7b:139:c1a3:9b47:2";
const T0 = Date.parse("2026-11-20T10:15:05Z");
const at = (s: number) => T0 + s * 1000;
const iso = (s: number) => new Date(at(s)).toISOString().replace(".000Z", "Z");

const start = (s: number, restartCount?: number): ObservedEvent => ({ type: "start", status: "started", source: "flyd", timestamp: at(s), ...(restartCount ? { request: { restart_count: restartCount } } : {}) });
const exit = (s: number, x: Record<string, unknown> = {}): ObservedEvent => ({ type: "exit", status: "stopped", source: "flyd", timestamp: at(s), request: { exit_event: { exited_at: iso(s), ...x } } });
const machine = (state: string, events: ObservedEvent[] = [], checks: { name: string; status: string }[] = []): ObservedMachine => ({
  id: "3d8d9e4f5a6b70",
  state,
  private_ip: IP,
  created_at: "2026-11-20T10:15:03Z",
  updated_at: "2026-11-20T10:15:06Z",
  events: [{ type: "launch", status: "created", source: "user", timestamp: at(-2) }, ...events],
  checks,
});
const status = (pod: Pod, rest: Omit<PodStatusInput, "pod" | "now"> = {}) => machineToPodStatus({ pod, now: NOW, ...rest });
const cond = (s: PodStatus, type: string) => s.conditions?.find((c) => c.type === type);
const main = (s: PodStatus) => s.containerStatuses![0]!;

const nginx = loadObject("nginx-deployment-pod.yaml", "Pod");
const job = (policy: "Never" | "OnFailure" | "Always", metadata: Record<string, unknown> = {}) =>
  makePod({ restartPolicy: policy, containers: [{ name: "task", image: "perl:5.34.0" }] }, metadata);

describe("before the Machine runs", () => {
  it("no Machine yet: Pending, ContainerCreating, PodScheduled kept from the scheduler", () => {
    const s = status(nginx);
    expect(s.phase).toBe("Pending");
    expect(main(s)).toEqual({ name: "nginx", image: "nginx:1.27.3", imageID: "", ready: false, started: false, restartCount: 0, state: { waiting: { reason: "ContainerCreating" } }, lastState: {} });
    expect(s.podIP).toBeUndefined();
    expect(s.conditions).toEqual([
      { type: "Initialized", status: "True", lastProbeTime: null, lastTransitionTime: NOW },
      { type: "Ready", status: "False", lastProbeTime: null, lastTransitionTime: NOW, reason: "ContainersNotReady", message: "containers with unready status: [nginx]" },
      { type: "ContainersReady", status: "False", lastProbeTime: null, lastTransitionTime: NOW, reason: "ContainersNotReady", message: "containers with unready status: [nginx]" },
      { type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: "2026-11-20T10:15:02Z" },
    ]);
  });

  it("a pod bound straight to the node gets PodScheduled as the kubelet writes it", () => {
    expect(cond(status(oneContainer()), "PodScheduled")).toEqual({ type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: NOW });
  });

  it("a provider problem is shown on the pod and the waiting containers", () => {
    const s = status(nginx, { problem: { reason: "ProviderFailed", message: "machines API: 503 upstream unavailable", terminal: false } });
    expect(s).toMatchObject({ phase: "Pending", reason: "ProviderFailed", message: "machines API: 503 upstream unavailable" });
    expect(main(s).state).toEqual({ waiting: { reason: "ProviderFailed", message: "machines API: 503 upstream unavailable" } });
  });

  it("a terminal problem fails the pod", () => {
    const s = status(nginx, { problem: { reason: "Unsupported", message: "needs 64 CPUs", terminal: true } });
    expect(s.phase).toBe("Failed");
    expect(main(s).state).toEqual({ waiting: { reason: "Unsupported", message: "needs 64 CPUs" } });
    expect(cond(s, "Ready")).toMatchObject({ status: "False", reason: "PodCompleted" });
  });

  it.each(["creating", "created", "starting"])("%s: Pending with the pod IP", (state) => {
    const s = status(nginx, { machine: machine(state) });
    expect(s).toMatchObject({ phase: "Pending", podIP: IP, podIPs: [{ ip: IP }], hostIP: IP, hostIPs: [{ ip: IP }], startTime: "2026-11-20T10:15:03Z" });
    expect(main(s).state).toEqual({ waiting: { reason: "ContainerCreating" } });
  });
});

describe("running", () => {
  it("started, readiness not yet reported: running but not ready", () => {
    const s = status(nginx, { machine: machine("started", [start(1)]) });
    expect(s.phase).toBe("Running");
    expect(main(s)).toMatchObject({ ready: false, started: true, containerID: "fly://3d8d9e4f5a6b70", state: { running: { startedAt: iso(1) } } });
    expect(cond(s, "Ready")?.status).toBe("False");
  });

  it.each([
    ["passing", true],
    ["warning", false],
    ["critical", false],
  ])("readiness check %s -> ready %s", (checkStatus, ready) => {
    const s = status(nginx, { machine: machine("started", [start(1)], [{ name: "nginx-readiness", status: checkStatus }, { name: "nginx-liveness", status: "critical" }]) });
    expect(main(s).ready).toBe(ready);
    expect(cond(s, "Ready")?.status).toBe(ready ? "True" : "False");
    expect(cond(s, "ContainersReady")?.status).toBe(ready ? "True" : "False");
  });

  it("without probes a running container is ready", () => {
    expect(main(status(oneContainer(), { machine: machine("started", [start(1)]) })).ready).toBe(true);
  });

  it("each container of a multi-container pod is ready by its own healthcheck; Ready needs them all", () => {
    const pod = makePod({ containers: [{ name: "web", image: "nginx", readinessProbe: { tcpSocket: { port: 80 } } }, { name: "side", image: "busybox", readinessProbe: { exec: { command: ["true"] } } }] });
    const checks = (side: string) => [{ name: "web-readiness", status: "passing" }, { name: "side-readiness", status: side }];
    const failing = status(pod, { machine: machine("started", [start(1)], checks("critical")) });
    expect(failing.containerStatuses!.map((c) => [c.name, c.ready, c.containerID])).toEqual([["web", true, "fly://3d8d9e4f5a6b70/web"], ["side", false, "fly://3d8d9e4f5a6b70/side"]]);
    expect(cond(failing, "Ready")).toMatchObject({ status: "False", message: "containers with unready status: [side]" });
    expect(cond(status(pod, { machine: machine("started", [start(1)], checks("passing")) }), "Ready")?.status).toBe("True");
  });

  it("a startup probe gates started and ready", () => {
    const pod = oneContainer({ startupProbe: { tcpSocket: { port: 80 } } });
    const before = main(status(pod, { machine: machine("started", [start(1)]) }));
    const after = main(status(pod, { machine: machine("started", [start(1)], [{ name: "app-startup", status: "passing" }]) }));
    expect([before.started, before.ready, after.started, after.ready]).toEqual([false, false, true, true]);
  });

  it("stopping (being deleted) still runs", () => {
    expect(status(nginx, { machine: machine("stopping", [start(1)]) }).phase).toBe("Running");
  });

  it("after a crash and a restart: running, last state and restart count", () => {
    const pod = job("Always");
    const s = status(pod, { machine: machine("started", [start(1), exit(20, { exit_code: 2, restarting: true }), start(21, 1)]) });
    expect(main(s)).toMatchObject({
      restartCount: 1,
      state: { running: { startedAt: iso(21) } },
      lastState: { terminated: { exitCode: 2, reason: "Error", startedAt: iso(1), finishedAt: iso(20), containerID: "fly://3d8d9e4f5a6b70" } },
    });
  });

  it("restarting after a crash waits in CrashLoopBackOff", () => {
    const s = status(job("OnFailure"), { machine: machine("starting", [start(1), exit(9, { exit_code: 1, restarting: true })]) });
    expect(s.phase).toBe("Running");
    expect(main(s)).toMatchObject({ restartCount: 1, state: { waiting: { reason: "CrashLoopBackOff" } }, lastState: { terminated: { exitCode: 1, reason: "Error" } } });
  });

  it("the image digest is the image ID", () => {
    const m = { ...machine("started", [start(1)]), image_ref: { registry: "docker.io", repository: "library/nginx", digest: "sha256:0abc" } };
    expect(main(status(nginx, { machine: m })).imageID).toBe("docker.io/library/nginx@sha256:0abc");
  });
});

describe("after the Machine stops", () => {
  const cases: { name: string; pod: Pod; state: string; exit?: Record<string, unknown>; phase: string; terminated?: Record<string, unknown> }[] = [
    { name: "Never, exit 0", pod: job("Never"), state: "stopped", exit: {}, phase: "Succeeded", terminated: { exitCode: 0, reason: "Completed" } },
    { name: "Never, exit 1", pod: job("Never"), state: "stopped", exit: { exit_code: 1 }, phase: "Failed", terminated: { exitCode: 1, reason: "Error" } },
    { name: "Never, OOM killed", pod: job("Never"), state: "stopped", exit: { exit_code: 137, oom_killed: true }, phase: "Failed", terminated: { exitCode: 137, reason: "OOMKilled" } },
    { name: "Never, killed by a signal", pod: job("Never"), state: "stopped", exit: { exit_code: 143, signal: 15 }, phase: "Failed", terminated: { exitCode: 143, signal: 15, reason: "Error" } },
    { name: "OnFailure, exit 0", pod: job("OnFailure"), state: "stopped", exit: {}, phase: "Succeeded", terminated: { exitCode: 0, reason: "Completed" } },
    { name: "OnFailure, flyd gave up: machinelet restarts it", pod: job("OnFailure"), state: "stopped", exit: { exit_code: 3 }, phase: "Running", terminated: { exitCode: 3, reason: "Error" } },
    { name: "Always, destroyed behind our back: a new Machine comes", pod: job("Always"), state: "destroyed", exit: undefined, phase: "Pending" },
    { name: "Never, destroyed behind our back", pod: job("Never"), state: "destroyed", exit: undefined, phase: "Failed" },
    { name: "Always, stopped by someone: still Running", pod: job("Always"), state: "stopped", exit: { requested_stop: true }, phase: "Running", terminated: { exitCode: 0, reason: "Completed" } },
    { name: "Always, being deleted, exit 0", pod: job("Always", { deletionTimestamp: NOW }), state: "stopped", exit: { requested_stop: true }, phase: "Succeeded", terminated: { exitCode: 0 } },
    { name: "Always, being deleted, exit 143", pod: job("Always", { deletionTimestamp: NOW }), state: "destroyed", exit: { exit_code: 143 }, phase: "Failed", terminated: { exitCode: 143, reason: "Error" } },
    { name: "suspended, Always", pod: job("Always"), state: "suspended", exit: { requested_stop: true }, phase: "Running" },
  ];
  it.each(cases)("$name -> $phase", ({ pod, state, exit: x, phase, terminated }) => {
    const s = status(pod, { machine: machine(state, [start(1), ...(x ? [exit(30, x)] : [])]) });
    expect(s.phase).toBe(phase);
    if (terminated) expect(main(s).state?.terminated).toMatchObject({ ...terminated, startedAt: iso(1), finishedAt: iso(30), containerID: "fly://3d8d9e4f5a6b70" });
  });

  it("stopped after booting, its exit not among the events: still Running", () => {
    expect(status(job("Always"), { machine: machine("stopped", [start(1)]) }).phase).toBe("Running");
    expect(status(job("Always"), { machine: machine("stopped") }).phase).toBe("Pending");
  });

  it("a finished pod is not ready and says PodCompleted", () => {
    const s = status(job("Never"), { machine: machine("stopped", [start(1), exit(30)]) });
    expect(s.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ["Initialized", "True", "PodCompleted"],
      ["Ready", "False", "PodCompleted"],
      ["ContainersReady", "False", "PodCompleted"],
      ["PodScheduled", "True", undefined],
    ]);
  });

  it("a destroyed Machine without an exit fails the pod with an unknown container status", () => {
    const s = status(job("Always", { deletionTimestamp: NOW }), { machine: machine("destroyed", [start(1)]) });
    expect(s.phase).toBe("Failed");
    expect(s.podIP).toBeUndefined();
    expect(main(s).state?.terminated).toMatchObject({ exitCode: 137, reason: "ContainerStatusUnknown" });
  });

  it.each(["failed", "launch_failed"])("a %s boot under Always or OnFailure is a restart in CrashLoopBackOff, never a terminal phase", (state) => {
    for (const pod of [nginx, job("OnFailure")]) {
      const s = status(pod, { machine: machine(state) });
      expect(s.phase).toBe("Running");
      expect(main(s).state).toEqual({ waiting: { reason: "CrashLoopBackOff", message: `back-off restarting: the Machine's boot ended ${state}` } });
      expect(main(s).lastState?.terminated).toMatchObject({ exitCode: 128, reason: "StartError" });
      expect(main(s).ready).toBe(false);
      expect(cond(s, "Ready")).toMatchObject({ status: "False", reason: "ContainersNotReady" });
    }
  });

  it("a failed boot under Never fails the pod with StartError", () => {
    const s = status(job("Never"), { machine: machine("failed") });
    expect(s.phase).toBe("Failed");
    expect(main(s).state?.terminated).toMatchObject({ exitCode: 128, reason: "StartError", message: "the Machine's boot ended failed" });
  });

  it("a failed Machine of a pod being deleted is over", () => {
    const s = status(job("Always", { deletionTimestamp: NOW }), { machine: machine("failed") });
    expect(s.phase).toBe("Failed");
  });

  it("a terminal phase is never left", () => {
    const done: PodStatus = { phase: "Succeeded", conditions: [{ type: "Ready", status: "False", reason: "PodCompleted" }] };
    expect(status(job("Never"), { previous: done, machine: machine("started", [start(99)]) })).toBe(done);
  });
});

describe("init containers and sidecars", () => {
  const pod = loadObject("init-and-sidecar.yaml", "Pod");

  it("while the Machine starts: everything waits, not initialized", () => {
    const s = status(pod, { machine: machine("starting") });
    expect(s.phase).toBe("Pending");
    expect(s.initContainerStatuses?.map((c) => [c.name, c.state])).toEqual([
      ["migrate", { waiting: { reason: "PodInitializing" } }],
      ["logshipper", { waiting: { reason: "PodInitializing" } }],
    ]);
    expect(main(s).state).toEqual({ waiting: { reason: "PodInitializing" } });
    expect(cond(s, "Initialized")).toMatchObject({ status: "False", reason: "ContainersNotInitialized", message: "containers with incomplete status: [migrate logshipper]" });
  });

  it("once running: init completed, sidecar and app running and ready by their checks", () => {
    const checks = [
      { name: "logshipper-startup", status: "passing" },
      { name: "myapp-readiness", status: "passing" },
    ];
    const s = status(pod, { machine: machine("started", [start(1)], checks) });
    expect(s.phase).toBe("Running");
    expect(s.initContainerStatuses).toEqual([
      { name: "migrate", image: "ghcr.io/example/myapp:2.3.1", imageID: "", containerID: "fly://3d8d9e4f5a6b70/migrate", ready: true, started: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: "Completed", finishedAt: iso(1), containerID: "fly://3d8d9e4f5a6b70/migrate" } }, lastState: {} },
      { name: "logshipper", image: "alpine:3.20", imageID: "", containerID: "fly://3d8d9e4f5a6b70/logshipper", ready: true, started: true, restartCount: 0, state: { running: { startedAt: iso(1) } }, lastState: {} },
    ]);
    expect(main(s)).toMatchObject({ name: "myapp", ready: true, containerID: "fly://3d8d9e4f5a6b70/myapp" });
    expect(s.conditions?.map((c) => [c.type, c.status])).toEqual([
      ["Initialized", "True"],
      ["Ready", "True"],
      ["ContainersReady", "True"],
      ["PodScheduled", "True"],
    ]);
  });

  it("a sidecar that is not ready keeps the pod unready", () => {
    const s = status(pod, { machine: machine("started", [start(1)], [{ name: "myapp-readiness", status: "passing" }]) });
    expect(cond(s, "Initialized")).toMatchObject({ status: "False", message: "containers with incomplete status: [logshipper]" });
    expect(cond(s, "ContainersReady")).toMatchObject({ status: "False", message: "containers with unready status: [logshipper]" });
  });
});

describe("conditions over time", () => {
  const ready = { machine: machine("started", [start(1)], [{ name: "nginx-readiness", status: "passing" }]) };

  it("unchanged conditions keep their transition time; changed ones take now", () => {
    const first = machineToPodStatus({ pod: nginx, ...ready, now: "2026-11-20T11:00:00Z" });
    const again = machineToPodStatus({ pod: nginx, ...ready, previous: first, now: "2026-11-20T11:05:00Z" });
    expect(again).toEqual(first);
    const unready = machineToPodStatus({ pod: nginx, machine: machine("started", [start(1)], [{ name: "nginx-readiness", status: "critical" }]), previous: first, now: "2026-11-20T11:06:00Z" });
    expect(cond(unready, "Ready")?.lastTransitionTime).toBe("2026-11-20T11:06:00Z");
    expect(cond(unready, "Initialized")?.lastTransitionTime).toBe(cond(first, "Initialized")?.lastTransitionTime);
  });

  it("stamps transitions to the second, as Kubernetes Time is", () => {
    const s = machineToPodStatus({ pod: oneContainer(), now: "2026-11-20T11:00:00.123Z" });
    expect(cond(s, "Ready")?.lastTransitionTime).toBe("2026-11-20T11:00:00Z");
  });

  it("keeps the first start time", () => {
    const s = machineToPodStatus({ pod: nginx, ...ready, previous: { startTime: "2026-11-20T10:15:04Z" }, now: NOW });
    expect(s.startTime).toBe("2026-11-20T10:15:04Z");
  });

  it("readiness gates hold Ready until their condition is True", () => {
    const gated = makePod({ readinessGates: [{ conditionType: "example.com/lb-ready" }], containers: [{ name: "app", image: "x" }] });
    const m = { machine: machine("started", [start(1)]) };
    expect(cond(status(gated, m), "Ready")).toMatchObject({ status: "False", reason: "ReadinessGatesNotReady", message: 'corresponding condition of pod readiness gate "example.com/lb-ready" does not exist.' });
    const gate = { type: "example.com/lb-ready", status: "False" as const };
    expect(cond(status(gated, { ...m, previous: { conditions: [gate] } }), "Ready")).toMatchObject({ status: "False", message: 'the status of pod readiness gate "example.com/lb-ready" is not "True", but False' });
    expect(cond(status(gated, { ...m, previous: { conditions: [{ ...gate, status: "True" }] } }), "Ready")?.status).toBe("True");
    expect(cond(status(gated, m), "ContainersReady")?.status).toBe("True");
  });

  it("is a pure function of its input, whatever order the events come in", () => {
    const events = [start(1), exit(20, { exit_code: 2, restarting: true }), start(21, 1)];
    const a = status(job("Always"), { machine: machine("started", events) });
    const b = status(job("Always"), { machine: machine("started", [...events].reverse()) });
    expect(b).toEqual(a);
    expect(status(job("Always"), { machine: machine("started", events) })).toEqual(a);
  });
});

describe("input types", () => {
  it("takes a Machine as the Machines client parses it", () => {
    const parsed: Machine = { id: "3d8d9e4f5a6b70", state: "started", private_ip: IP, events: [{ type: "start", timestamp: at(1), request: null }], checks: null };
    expect(status(oneContainer(), { machine: parsed }).phase).toBe("Running");
  });
});
