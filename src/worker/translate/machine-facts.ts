/**
 * What machinelet knows about Fly Machines, in one place: which states are transient, running,
 * stopped or gone; how an exit reads (its code, signal, OOM); what a provider problem is; the
 * metadata keys every machinelet machine carries. Convergence, reconcile and pod status all ask
 * here, so they cannot disagree. Sources: reference/machines-api.md (states, events) and fly-go's
 * `MachineRequest` (exits).
 */
import { z } from "zod";
import type { RestartPolicy } from "../../shared/k8s";

/** Metadata keys every machinelet Machine carries (contract). */
export const MACHINE_METADATA = {
  cluster: "machinelet_cluster",
  podUid: "machinelet_pod_uid",
  namespace: "machinelet_namespace",
  pod: "machinelet_pod",
  /** On a stopped spare instead of the pod keys: the key of the pod template it is kept for. */
  spare: "machinelet_spare",
} as const;

// ---- states (reference/machines-api.md §5: persistent, transient, terminal)

/**
 * States flyd moves a machine out of by itself, so a step keeps watching: the transient ones
 * (`launch_failed` ends in `destroyed`), and `created`, which machinelet's creates always boot.
 */
export const SETTLING: ReadonlySet<string> = new Set(["creating", "created", "starting", "replacing", "updating", "restarting", "stopping", "suspending", "launch_failed"]);
/** States in which the machine's processes may still run: a graceful delete stops them first. */
export const MAY_RUN: ReadonlySet<string> = new Set(["started", "starting", "restarting", "updating", "replacing", "created"]);
/** At rest and not running: the restart policy decides whether it starts again. */
export const STOPPED: ReadonlySet<string> = new Set(["stopped", "failed", "suspended"]);
/** On its way out or out: never an owner, never an orphan; a pod that should run gets a new machine. */
export const GONE: ReadonlySet<string> = new Set(["destroyed", "destroying"]);

/** For pod status: the containers run (Running). */
export const STATUS_RUNNING: ReadonlySet<string> = new Set(["started", "stopping", "suspending"]);
/** For pod status: the containers ended; the newest exit says how. */
export const STATUS_ENDED: ReadonlySet<string> = new Set(["stopped", "suspended", "destroying", "destroyed"]);
/** For pod status: the machine could not boot (StartError; final only under restartPolicy Never). */
export const STATUS_FAILED: ReadonlySet<string> = new Set(["failed", "launch_failed"]);

// ---- exits

/** A Machine event as the Machines API lists it (`GET .../machines/{id}` `events[]`). */
export interface ObservedEvent {
  type: string;
  status?: string;
  source?: string;
  /** unix milliseconds */
  timestamp: number;
  request?: Record<string, unknown> | null;
}

const exitEventSchema = z.looseObject({
  exit_code: z.number().optional(),
  guest_exit_code: z.number().optional(),
  signal: z.number().optional(),
  guest_signal: z.number().optional(),
  oom_killed: z.boolean().optional(),
  requested_stop: z.boolean().optional(),
  restarting: z.boolean().optional(),
  exited_at: z.string().optional(),
});
const eventRequestSchema = z.looseObject({
  exit_event: exitEventSchema.optional(),
  MonitorEvent: z.looseObject({ exit_event: exitEventSchema.optional() }).nullish(),
  restart_count: z.number().optional(),
});

/** An exit as an `exit` event reports it. */
export interface ExitFacts {
  /** undefined when the event carries no exit record in either form */
  exitCode: number | undefined;
  signal?: number;
  oomKilled: boolean;
  requestedStop: boolean;
  restarting: boolean;
  /** as reported (`exited_at`), when it is */
  exitedAt?: string;
}

/** `restart_count` of an event's request, 0 when absent or unreadable. */
export function restartCountOf(e: ObservedEvent): number {
  const req = eventRequestSchema.safeParse(e.request ?? {});
  return req.success ? (req.data.restart_count ?? 0) : 0;
}

/**
 * The one reader of an exit. Fly reports it in two forms, `request.MonitorEvent.exit_event` and
 * `request.exit_event`; like fly-go, the MonitorEvent form wins. Within it, `exit_code`, else
 * `guest_exit_code`, else 0 (fly-go's zero value); with neither form the code is unknown.
 */
export function readExit(e: ObservedEvent): ExitFacts {
  const req = eventRequestSchema.safeParse(e.request ?? {});
  const x = req.success ? (req.data.MonitorEvent?.exit_event ?? req.data.exit_event) : undefined;
  if (!x) return { exitCode: undefined, oomKilled: false, requestedStop: false, restarting: false };
  const signal = x.signal || x.guest_signal;
  return {
    exitCode: x.exit_code ?? x.guest_exit_code ?? 0,
    ...(signal ? { signal } : {}),
    oomKilled: x.oom_killed ?? false,
    requestedStop: x.requested_stop ?? false,
    restarting: x.restarting ?? false,
    ...(x.exited_at ? { exitedAt: x.exited_at } : {}),
  };
}

/** Events newest first, whatever order they came in (ties keep their listed order). */
export function newestFirst<E extends { timestamp: number }>(events: readonly E[]): E[] {
  return events.map((e, i) => ({ e, i })).sort((a, b) => b.e.timestamp - a.e.timestamp || a.i - b.i).map((x) => x.e);
}

/** Whether an exit ended the containers successfully (exit 0 and not OOM-killed). */
export const succeeded = (x: Pick<ExitFacts, "exitCode" | "oomKilled">): boolean => x.exitCode === 0 && !x.oomKilled;

/**
 * Whether a stopped machine should run again, as the kubelet decides for the pod's
 * restartPolicy: Always restarts; OnFailure restarts unless the newest exit was exit 0 (a stop
 * that was not the container's own exit, or an exit of unknown code, counts as a failure); Never does not.
 */
export function wantsRestart(policy: RestartPolicy | undefined, events: readonly ObservedEvent[] | null | undefined): boolean {
  if ((policy ?? "Always") === "Always") return true;
  if (policy === "Never") return false;
  const exit = newestFirst(events ?? []).find((e) => e.type === "exit");
  return !exit || readExit(exit).exitCode !== 0;
}

/**
 * What of a machine can change its pod's status: state, version, checks and the newest event.
 * Equal digests mean nothing to record; the reconcile of an idle cluster compares only these.
 */
export function observedDigest(m: { state: string; version?: string | null; checks?: readonly { name: string; status: string }[] | null; events?: readonly { timestamp: number }[] | null }): string {
  const newest = (m.events ?? []).reduce((t, e) => Math.max(t, e.timestamp), 0);
  const checks = (m.checks ?? []).map((c) => `${c.name}=${c.status}`).join(",");
  return `${m.state}|${m.version ?? ""}|${newest}|${checks}`;
}

// ---- problems

/**
 * A provider-side problem attached to a pod and shown in its status (a failed create, the rate
 * budget, an unusable app, ...). `terminal` problems end the pod (phase Failed) until its spec
 * changes; the others say why the pod is still waiting while retries go on.
 */
export interface Problem {
  reason: string;
  message: string;
  terminal: boolean;
}

export const waitingForBudget = (action: string, scope: string, ms: number): Problem => ({
  reason: "RateBudget",
  message: `waiting ${Math.ceil(ms / 100) / 10} s for the Machines API rate budget (${action} on ${scope})`,
  terminal: false,
});
