import type { Machine } from "../../machines/schemas";
import type { PodRow } from "./pod-store";

/** The exit code of the machine's most recent `exit` event, if it has one. */
export function lastExitCode(m: Pick<Machine, "events"> | undefined): number | undefined {
  const exits = (m?.events ?? []).filter((e) => e.type === "exit").sort((a, b) => b.timestamp - a.timestamp);
  const code = (exits[0]?.request as { exit_event?: { exit_code?: unknown } } | undefined)?.exit_event?.exit_code;
  return typeof code === "number" ? code : undefined;
}

/**
 * What of a machine can change its pod's status: state, version, checks and the newest event.
 * Equal digests mean nothing to record; the reconcile of an idle cluster compares only these.
 */
export function observedDigest(m: Pick<Machine, "state" | "version" | "checks" | "events">): string {
  const newest = (m.events ?? []).reduce((t, e) => Math.max(t, e.timestamp), 0);
  const checks = (m.checks ?? []).map((c) => `${c.name}=${c.status}`).join(",");
  return `${m.state}|${m.version ?? ""}|${newest}|${checks}`;
}

/** The columns that record an observation of the machine. */
export function observed(m: Machine): Partial<PodRow> {
  return { machine_version: m.version ?? null, machine_state: m.state, machine_json: JSON.stringify(m), observed_digest: observedDigest(m) };
}

/**
 * Whether a stopped machine should run again, as the kubelet would decide for the pod's
 * restartPolicy: Always restarts, OnFailure restarts after a non-zero exit (or a stop
 * that was not the container's own exit), Never does not.
 */
export function wantsRestart(row: PodRow): boolean {
  const policy = (JSON.parse(row.pod_json) as { spec?: { restartPolicy?: string } }).spec?.restartPolicy ?? "Always";
  if (policy === "Always") return true;
  if (policy === "Never") return false;
  const code = lastExitCode(row.machine_json ? (JSON.parse(row.machine_json) as Machine) : undefined);
  return code !== 0;
}

