/**
 * What happened to a pod, read from one status the worker reported (the status feed), as the
 * kubelet would have recorded it in Events. Pure: each occurrence carries the time it happened
 * (`at`, from the status itself) so a status delivered again yields the same occurrences, and
 * the recorder can tell a repeat delivery from a new occurrence of the same event.
 */

export type EventType = "Normal" | "Warning";

export interface Occurrence {
  type: EventType;
  reason: string;
  message: string;
  /** RFC 3339 time it happened; `once` for what happens at most once per message (no time in the status). */
  at: string;
  /** `spec.containers{name}` for a container's events. */
  fieldPath?: string;
}

interface ContainerState {
  running?: { startedAt?: string };
  terminated?: { exitCode?: number; reason?: string; message?: string; startedAt?: string; finishedAt?: string };
  waiting?: { reason?: string; message?: string };
}
interface ContainerStatus {
  name?: string;
  ready?: boolean;
  restartCount?: number;
  containerID?: string;
  state?: ContainerState;
  lastState?: ContainerState;
}
interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}
interface Status {
  reason?: string;
  message?: string;
  conditions?: Condition[];
  containerStatuses?: ContainerStatus[];
  initContainerStatuses?: ContainerStatus[];
}

/** Reasons the worker gives a pod while it retries the Machines API (machine-facts, converge, app provisioning). */
const PROVIDER_RETRYING = new Set(["ProviderError", "RateLimited", "ProviderAppUnavailable"]);
/** Waiting reasons that mean the pod lacks something it references (a Secret, ConfigMap or claim). */
const CONFIG_WAITING = new Set(["CreateContainerConfigError", "CreateContainerError"]);

const machineOf = (containerID: string | undefined) => /^fly:\/\/([^/]+)/.exec(containerID ?? "")?.[1];

function exitOccurrence(c: ContainerStatus, t: NonNullable<ContainerState["terminated"]>): Occurrence | undefined {
  if (!t.finishedAt || t.reason === "ContainerStatusUnknown") return undefined;
  const fieldPath = `spec.containers{${c.name}}`;
  if (t.reason === "OOMKilled") return { type: "Warning", reason: "OOMKilled", message: `Container ${c.name} was killed: out of memory (exit code ${t.exitCode ?? 137})`, at: t.finishedAt, fieldPath };
  if ((t.exitCode ?? 0) === 0) return { type: "Normal", reason: "Completed", message: `Container ${c.name} exited with code 0`, at: t.finishedAt, fieldPath };
  return { type: "Warning", reason: "Exited", message: `Container ${c.name} exited with code ${t.exitCode}`, at: t.finishedAt, fieldPath };
}

function containerOccurrences(c: ContainerStatus, ready: Condition | undefined): Occurrence[] {
  const out: Occurrence[] = [];
  const fieldPath = `spec.containers{${c.name}}`;
  const startedAt = c.state?.running?.startedAt;
  if (startedAt) {
    out.push({ type: "Normal", reason: "Started", message: `Started container ${c.name}`, at: startedAt, fieldPath });
    if ((c.restartCount ?? 0) > 0) out.push({ type: "Normal", reason: "Restarted", message: `Container ${c.name} restarted by the Machine's restart policy`, at: startedAt, fieldPath });
    // Ready turned False after the container started: its Fly checks are failing. Times are whole
    // seconds, so a check that failed within the second the container started counts (>=), unless
    // that False is the exit before this start (a restart within the same second).
    const exitedAt = c.lastState?.terminated?.finishedAt;
    const turnedFalse = ready?.status === "False" ? ready.lastTransitionTime : undefined;
    if (!c.ready && turnedFalse && turnedFalse >= startedAt && !(exitedAt && exitedAt >= turnedFalse)) {
      out.push({ type: "Warning", reason: "Unhealthy", message: `Readiness check failed: Fly reports container ${c.name}'s checks as failing`, at: turnedFalse, fieldPath });
    }
  }
  for (const t of [c.state?.terminated, c.lastState?.terminated]) {
    const exit = t && exitOccurrence(c, t);
    if (exit) out.push(exit);
  }
  const waiting = c.state?.waiting;
  if (waiting?.reason && CONFIG_WAITING.has(waiting.reason)) out.push({ type: "Warning", reason: "Failed", message: `Error: ${waiting.message ?? waiting.reason}`, at: "once", fieldPath });
  if (waiting?.reason && waiting.reason in IMAGE_WAITING) out.push(...imageOccurrences(waiting.reason as keyof typeof IMAGE_WAITING, waiting.message, fieldPath));
  return out;
}

/** The kubelet's events for a container waiting on its image (pkg/kubelet/images): what happened, then `Error: <reason>`. */
const IMAGE_WAITING = {
  InvalidImageName: { type: "Warning", reason: "InspectFailed" },
  ErrImagePull: { type: "Warning", reason: "Failed" },
  ImagePullBackOff: { type: "Normal", reason: "BackOff" },
} as const;

function imageOccurrences(waiting: keyof typeof IMAGE_WAITING, message: string | undefined, fieldPath: string): Occurrence[] {
  const { type, reason } = IMAGE_WAITING[waiting];
  // The back-off's waiting message ends with the pull error; its event says only `Back-off pulling image "x"`.
  const what = waiting === "ImagePullBackOff" ? message?.replace(/: ErrImagePull: [\s\S]*$/, "") : message;
  return [
    ...(what ? [{ type, reason, message: what, at: "once", fieldPath }] : []),
    { type: "Warning", reason: "Failed", message: `Error: ${waiting}`, at: "once", fieldPath },
  ];
}

/** The occurrences one reported status shows. */
export function occurrencesOf(status: Status | null | undefined): Occurrence[] {
  if (!status) return [];
  const out: Occurrence[] = [];
  const containers = [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])];
  const conditions = status.conditions ?? [];
  const machineId = containers.map((c) => machineOf(c.containerID)).find(Boolean);
  if (machineId) {
    const guest = conditions.find((c) => c.type === "machinelet.fly.io/Guest")?.message;
    out.push({ type: "Normal", reason: "MachineCreated", message: `Created Fly Machine ${machineId}${guest ? ` (${guest})` : ""}`, at: "once" });
  }
  const ready = conditions.find((c) => c.type === "Ready");
  for (const c of containers) out.push(...containerOccurrences(c, ready));
  const notHonoured = conditions.find((c) => c.type === "machinelet.fly.io/NotHonoured" && c.status === "True");
  if (notHonoured?.message) out.push({ type: "Warning", reason: "NotHonoured", message: notHonoured.message, at: "once" });
  if (status.reason && PROVIDER_RETRYING.has(status.reason)) out.push({ type: "Warning", reason: "ProviderRetrying", message: status.message ?? status.reason, at: "once" });
  if (status.reason === "RateBudget") out.push({ type: "Normal", reason: "WaitingForRateBudget", message: (status.message ?? "").replace(/waiting [\d.]+ s/, "waiting"), at: "once" });
  return out;
}

/** The machine is destroyed and the pod is being removed. */
export function goneOccurrence(): Occurrence {
  return { type: "Normal", reason: "MachineDestroyed", message: "Destroyed the pod's Fly Machine", at: "once" };
}
