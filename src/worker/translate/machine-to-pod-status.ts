import type { Container, ContainerState, ContainerStatus, Pod, PodCondition, PodStatus } from "../../shared/k8s";
import { rfc3339, summarizeEvents, type EventSummary, type Exit } from "./machine-events";
import { STATUS_ENDED, STATUS_FAILED, STATUS_RUNNING, succeeded, type ObservedEvent, type Problem } from "./machine-facts";
import { needsContainers } from "./pod-to-machine-config";
import { probeCheckName, probeOf } from "./probes";

/** What pod status reads of a Machine (a parsed Machines API `Machine` fits). */
export interface ObservedMachine {
  id?: string;
  state: string;
  private_ip?: string;
  created_at?: string;
  updated_at?: string;
  checks?: readonly { name: string; status: string }[] | null;
  events?: readonly ObservedEvent[] | null;
  image_ref?: { registry?: string; repository?: string; digest?: string } | null;
}

export interface PodStatusInput {
  pod: Pod;
  /** the pod's Machine as last observed; absent before it is created */
  machine?: ObservedMachine;
  problem?: Problem;
  /** the status last written; conditions that did not change keep its lastTransitionTime (default `pod.status`) */
  previous?: PodStatus;
  /** RFC 3339 time stamped (to the second) on conditions that change */
  now: string;
}

const TERMINAL_PHASES = new Set(["Succeeded", "Failed"]);

type Phase = "Pending" | "Running" | "Succeeded" | "Failed";

/**
 * The core/v1 PodStatus a kubelet would write for a pod run by this Machine. A pure function of
 * its input: the same input gives the same status, so the status changes only when the Machine,
 * the problem or the pod does.
 *
 * Phase: `Pending` until the Machine first boots (creating/created/starting); `Running` while it
 * runs or restarts; when it is stopped or destroyed, by the newest exit: `Succeeded` for exit 0 and
 * `Failed` otherwise once nothing restarts it (restartPolicy Never, OnFailure after exit 0, or the
 * pod is being deleted), else still `Running`; a Machine destroyed without an exit is `Pending`
 * (machinelet makes a new one) unless the pod never restarts. A `failed`/`launch_failed` Machine
 * is a container that could not start (StartError): `Failed` under restartPolicy Never or when the
 * pod is being deleted, else `Running` in CrashLoopBackOff while machinelet boots it again. A
 * terminal problem (Fly refused the config, no guest fits: answers that would fail every retry)
 * is `Failed`. A terminal phase is never left. All containers share the Machine's state
 * (Fly reports no per-container state); regular init containers count as completed once the
 * Machine has booted. A container is ready when it runs and the Fly checks of its readiness and
 * startup probes (named by `probeCheckName`) pass; Ready also needs the pod's readiness gates.
 * podIP/podIPs and hostIP/hostIPs are the Machine's 6PN address (the Machine is its own host).
 */
export function machineToPodStatus(input: PodStatusInput): PodStatus {
  const { pod, machine, problem } = input;
  const now = rfc3339(input.now);
  const previous = input.previous ?? pod.status ?? {};
  if (previous.phase && TERMINAL_PHASES.has(previous.phase)) return previous;

  const events = summarizeEvents(machine?.events ?? []);
  const phase = phaseOf(pod, machine, problem, events);
  const run = appView(machine, problem, events, phase);
  const booted = !!machine && (STATUS_RUNNING.has(machine.state) || events.everStarted);
  const containerID = (name: string) => (machine?.id ? `fly://${machine.id}${needsContainers(pod.spec) ? `/${name}` : ""}` : undefined);
  const passing = new Set((machine?.checks ?? []).filter((c) => c.status === "passing").map((c) => c.name));

  const statusOf = (c: Container, view: View): ContainerStatus => {
    const running = view.state.running !== undefined;
    const probesPass = (kinds: ("readiness" | "startup")[]) => kinds.every((k) => !probeOf(c, k) || passing.has(probeCheckName(c.name, k)));
    const id = containerID(c.name);
    return {
      name: c.name,
      image: c.image,
      imageID: imageIdOf(pod, machine),
      ...(id && (view.state.running || view.state.terminated) ? { containerID: id } : {}),
      ready: view.completed || (running && probesPass(["startup", "readiness"])),
      started: running && probesPass(["startup"]),
      restartCount: events.restartCount,
      state: view.state.terminated && id ? { terminated: { ...view.state.terminated, containerID: id } } : view.state,
      lastState: view.lastState.terminated && id ? { terminated: { ...view.lastState.terminated, containerID: id } } : view.lastState,
    };
  };

  const initContainers = pod.spec.initContainers ?? [];
  const initializing: View = { state: { waiting: waitingOf(problem, "PodInitializing") }, lastState: {}, completed: false };
  const initStatuses = initContainers.map((c) => statusOf(c, !booted ? initializing : c.restartPolicy === "Always" ? run : completedView(machine, events)));
  const appStatuses = pod.spec.containers.map((c) => statusOf(c, initContainers.length && !booted ? initializing : run));

  const ip = machine?.private_ip && machine.state !== "destroyed" ? machine.private_ip : undefined;
  const startTime = previous.startTime ?? (machine?.created_at ? rfc3339(machine.created_at) : undefined);
  return {
    phase,
    conditions: conditionsOf(pod, phase, initStatuses, [...initStatuses.filter((_, i) => initContainers[i]!.restartPolicy === "Always"), ...appStatuses], previous, now),
    ...(problem ? { reason: problem.reason, message: problem.message } : {}),
    ...(ip ? { hostIP: ip, hostIPs: [{ ip }], podIP: ip, podIPs: [{ ip }] } : {}),
    ...(startTime ? { startTime } : {}),
    ...(initStatuses.length ? { initContainerStatuses: initStatuses } : {}),
    containerStatuses: appStatuses,
  };
}

function phaseOf(pod: Pod, machine: ObservedMachine | undefined, problem: Problem | undefined, events: EventSummary): Phase {
  if (problem?.terminal) return "Failed";
  if (!machine) return "Pending";
  // A failed boot is a container that could not start: final only when nothing restarts it.
  if (STATUS_FAILED.has(machine.state)) return pod.metadata.deletionTimestamp || pod.spec.restartPolicy === "Never" ? "Failed" : "Running";
  if (STATUS_RUNNING.has(machine.state)) return "Running";
  if (!STATUS_ENDED.has(machine.state)) return events.everStarted ? "Running" : "Pending";
  const exit = events.lastExit;
  if (!exit) {
    // Destroyed without an exit: machinelet makes a new Machine unless the pod is going or never restarts.
    if (pod.metadata.deletionTimestamp || (machine.state === "destroyed" && pod.spec.restartPolicy === "Never")) return "Failed";
    return machine.state === "destroyed" ? "Pending" : events.everStarted ? "Running" : "Pending";
  }
  if (!finished(pod, exit)) return "Running";
  return succeeded(exit) ? "Succeeded" : "Failed";
}

/** Whether nothing will run the pod's containers again after this exit. */
function finished(pod: Pod, exit: Exit): boolean {
  if (pod.metadata.deletionTimestamp) return true;
  switch (pod.spec.restartPolicy ?? "Always") {
    case "Never":
      return true;
    case "OnFailure":
      // machinelet starts the Machine again after a failure even once flyd has given up, as the kubelet would.
      return succeeded(exit);
    case "Always":
      return false;
  }
}

interface View {
  state: ContainerState;
  lastState: ContainerState;
  /** a regular init container that exited successfully */
  completed: boolean;
}

/** The state of the app containers (and sidecars): that of the Machine. */
function appView(machine: ObservedMachine | undefined, problem: Problem | undefined, events: EventSummary, phase: Phase): View {
  const exit = events.lastExit;
  const afterExit: ContainerState = exit ? { terminated: terminatedOf(exit) } : {};
  if (!machine || (problem?.terminal && !events.everStarted)) {
    return { state: { waiting: waitingOf(problem, "ContainerCreating") }, lastState: {}, completed: false };
  }
  if (problem?.terminal) {
    // The pod is over; its Machine is about to be destroyed whatever it is doing.
    return { state: { terminated: { exitCode: 137, reason: problem.reason, message: problem.message } }, lastState: afterExit, completed: false };
  }
  if (STATUS_RUNNING.has(machine.state)) {
    const startedAt = events.lastStart ?? rfc3339(machine.updated_at ?? machine.created_at ?? 0);
    return { state: { running: { startedAt } }, lastState: afterExit, completed: false };
  }
  if (STATUS_FAILED.has(machine.state)) {
    // The kubelet's StartError (exit 128), then CrashLoopBackOff while machinelet starts it again.
    const startError = { exitCode: 128, reason: "StartError", message: `the Machine's boot ended ${machine.state}` };
    if (phase === "Failed") return { state: { terminated: startError }, lastState: afterExit, completed: false };
    return { state: { waiting: { reason: "CrashLoopBackOff", message: `back-off restarting: the Machine's boot ended ${machine.state}` } }, lastState: { terminated: startError }, completed: false };
  }
  if (STATUS_ENDED.has(machine.state)) {
    const before: ContainerState = events.previousExit ? { terminated: terminatedOf(events.previousExit) } : {};
    if (exit) return { state: afterExit, lastState: before, completed: false };
    if (phase === "Failed") {
      return { state: { terminated: { exitCode: 137, reason: "ContainerStatusUnknown", message: "the Machine is gone and its containers' exit was not recorded" } }, lastState: {}, completed: false };
    }
  }
  // creating, created, starting, restarting, updating, replacing, or stopped before it ever booted.
  const crashed = exit && exit.exitCode !== 0 && !exit.requestedStop;
  return { state: { waiting: waitingOf(problem, crashed ? "CrashLoopBackOff" : "ContainerCreating") }, lastState: afterExit, completed: false };
}

function completedView(machine: ObservedMachine | undefined, events: EventSummary): View {
  const finishedAt = events.lastStart ?? rfc3339(machine?.created_at ?? 0);
  return { state: { terminated: { exitCode: 0, reason: "Completed", finishedAt } }, lastState: {}, completed: true };
}

function terminatedOf(exit: Exit): NonNullable<ContainerState["terminated"]> {
  return {
    exitCode: exit.exitCode,
    ...(exit.signal ? { signal: exit.signal } : {}),
    reason: exit.oomKilled ? "OOMKilled" : !exit.known ? "ContainerStatusUnknown" : exit.exitCode === 0 ? "Completed" : "Error",
    ...(exit.startedAt ? { startedAt: exit.startedAt } : {}),
    finishedAt: exit.finishedAt,
  };
}

function waitingOf(problem: Problem | undefined, fallback: string): { reason: string; message?: string } {
  return problem ? { reason: problem.reason, message: problem.message } : { reason: fallback };
}

function imageIdOf(pod: Pod, machine: ObservedMachine | undefined): string {
  const ref = machine?.image_ref;
  if (!ref?.digest || !ref.repository || needsContainers(pod.spec)) return "";
  return `${ref.registry ? `${ref.registry}/` : ""}${ref.repository}@${ref.digest}`;
}

function conditionsOf(
  pod: Pod,
  phase: Phase,
  initStatuses: ContainerStatus[],
  runningStatuses: ContainerStatus[],
  previous: PodStatus,
  now: string,
): PodCondition[] {
  const terminal = phase === "Succeeded" || phase === "Failed";
  const incomplete = initStatuses.filter((s, i) => !(pod.spec.initContainers![i]!.restartPolicy === "Always" ? s.started : s.ready)).map((s) => s.name);
  const unready = runningStatuses.filter((s) => !s.ready).map((s) => s.name);
  const gates = (pod.spec.readinessGates ?? []).map((g) => g.conditionType);
  const gateProblem = gates
    .map((type) => {
      const c = previous.conditions?.find((x) => x.type === type);
      if (!c) return `corresponding condition of pod readiness gate "${type}" does not exist.`;
      return c.status === "True" ? undefined : `the status of pod readiness gate "${type}" is not "True", but ${c.status}`;
    })
    .find((m) => m !== undefined);

  const list = (names: string[]) => `[${names.join(" ")}]`;
  const initialized: Cond = incomplete.length && !terminal
    ? { status: "False", reason: "ContainersNotInitialized", message: `containers with incomplete status: ${list(incomplete)}` }
    : { status: "True", ...(terminal ? { reason: "PodCompleted" } : {}) };
  const containersReady: Cond = terminal
    ? { status: "False", reason: "PodCompleted" }
    : unready.length
      ? { status: "False", reason: "ContainersNotReady", message: `containers with unready status: ${list(unready)}` }
      : { status: "True" };
  const ready: Cond =
    containersReady.status !== "True"
      ? containersReady
      : gateProblem
        ? { status: "False", reason: "ReadinessGatesNotReady", message: gateProblem }
        : { status: "True" };
  const scheduled = previous.conditions?.find((c) => c.type === "PodScheduled");

  const stamp = (type: string, c: Cond): PodCondition => {
    const before = previous.conditions?.find((x) => x.type === type);
    const lastTransitionTime = before && before.status === c.status && before.lastTransitionTime ? before.lastTransitionTime : now;
    return { type, status: c.status, lastProbeTime: null, lastTransitionTime, ...(c.reason ? { reason: c.reason } : {}), ...(c.message ? { message: c.message } : {}) };
  };
  return [
    stamp("Initialized", initialized),
    stamp("Ready", ready),
    stamp("ContainersReady", containersReady),
    // The scheduler owns PodScheduled; a pod bound straight to the node gets it as the kubelet would.
    scheduled ?? stamp("PodScheduled", { status: "True" }),
  ];
}

interface Cond {
  status: "True" | "False";
  reason?: string;
  message?: string;
}
