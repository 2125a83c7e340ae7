/**
 * The Job controller of the K8s stand-in (staging and tests only), after pkg/controller/job and the
 * TTL-after-finished controller: runs up to `parallelism` pods until `completions` succeed
 * (NonIndexed), or one success per index 0..completions-1 (Indexed: the completion index in the
 * pod's name, hostname, `batch.kubernetes.io/job-completion-index` annotation and label, and the
 * JOB_COMPLETION_INDEX env); failed pods are replaced after a back-off of 10 s doubling to 6 min
 * until more than `backoffLimit` have failed; `activeDeadlineSeconds` and `suspend` stop the pods.
 * Conditions as 1.32 writes them: SuccessCriteriaMet then Complete, FailureTarget then Failed,
 * Suspended. Not done: podFailurePolicy, successPolicy, backoffLimitPerIndex, the job-tracking finalizer.
 */
import type { JsonObject, K8sObject } from "../k8s-object";
import { cloneObject, formatTime, isJsonObject, jsonEqual } from "../k8s-object";
import type { Registry } from "../registry";
import { PODS } from "../registry";
import { resourceByKind } from "../resources";
import { recordEvent } from "./events";
import type { Controller } from "./loop";
import { bestEffort } from "./loop";
import { int, isActive, isReady, phaseOf, podFromTemplate } from "./owned-pods";
import { claimPods } from "./replicaset-controller";

export const JOBS = resourceByKind("Job");
const COMPONENT = "job-controller";
export const COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index";
const BACKOFF_BASE_MS = 10_000;
const BACKOFF_MAX_MS = 360_000;

function conditionsOf(job: K8sObject): JsonObject[] {
  const status = isJsonObject(job.status) ? job.status : {};
  return Array.isArray(status.conditions) ? status.conditions.filter(isJsonObject) : [];
}

export function jobFinished(job: K8sObject): JsonObject | undefined {
  return conditionsOf(job).find((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True");
}

function condition(type: string, reason: string, message: string, now: string): JsonObject {
  return { type, status: "True", lastProbeTime: now, lastTransitionTime: now, reason, message };
}

function indexOf(pod: K8sObject): number | undefined {
  const raw = pod.metadata.annotations?.[COMPLETION_INDEX];
  return raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : undefined;
}

/** "0-2,4": the API's compressed form of a set of indexes. */
function compressIndexes(indexes: readonly number[]): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const ranges: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] as number) + 1) j++;
    ranges.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return ranges.join(",");
}

function podForIndex(job: K8sObject, index: number | undefined): K8sObject {
  const spec = job.spec as JsonObject;
  const name = job.metadata.name ?? "";
  const pod = podFromTemplate(spec.template, job, { generateName: index === undefined ? `${name}-` : `${name}-${index}-` });
  if (index === undefined) return pod;
  pod.metadata.annotations = { ...pod.metadata.annotations, [COMPLETION_INDEX]: String(index) };
  pod.metadata.labels = { ...pod.metadata.labels, [COMPLETION_INDEX]: String(index) };
  const podSpec = pod.spec as JsonObject;
  podSpec.hostname = `${name}-${index}`;
  const env = { name: "JOB_COMPLETION_INDEX", valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${COMPLETION_INDEX}']` } } };
  for (const list of ["containers", "initContainers"]) {
    for (const container of Array.isArray(podSpec[list]) ? (podSpec[list] as unknown[]).filter(isJsonObject) : []) {
      container.env = [...(Array.isArray(container.env) ? container.env : []), cloneObject(env)];
    }
  }
  return pod;
}

export class JobController implements Controller {
  readonly name = "job";
  readonly watches = [JOBS, PODS];
  readonly resyncMs = 1000;
  /** When each failed pod was first seen failed: back-off counts from the latest failure. */
  private readonly failedAt = new Map<string, number>();

  constructor(private readonly registry: Registry) {}

  sync(): void {
    const now = Date.now();
    for (const job of this.registry.list(JOBS, undefined)) {
      const current = this.registry.find(JOBS, job.metadata.namespace, job.metadata.name ?? "");
      if (current) this.syncJob(current, now);
    }
  }

  private syncJob(job: K8sObject, now: number): void {
    const registry = this.registry;
    const spec = isJsonObject(job.spec) ? job.spec : {};
    const namespace = job.metadata.namespace ?? "";
    const stamp = formatTime(new Date(now));
    const finished = jobFinished(job);
    if (finished) return this.expire(job, finished, now);
    const pods = claimPods(registry, job, spec.selector);
    const active = pods.filter(isActive);
    const succeededPods = pods.filter((p) => phaseOf(p) === "Succeeded");
    const failedPods = pods.filter((p) => phaseOf(p) === "Failed");
    for (const pod of failedPods) if (!this.failedAt.has(pod.metadata.uid ?? "")) this.failedAt.set(pod.metadata.uid ?? "", now);
    const indexed = spec.completionMode === "Indexed";
    const completions = typeof spec.completions === "number" ? spec.completions : undefined;
    const doneIndexes = indexed ? [...new Set(succeededPods.map(indexOf).filter((i): i is number => i !== undefined && i < (completions ?? 0)))] : [];
    const previous = isJsonObject(job.status) ? job.status : {};
    const startTime = typeof previous.startTime === "string" ? previous.startTime : stamp;
    const conditions = conditionsOf(job).filter((c) => c.type !== "Suspended");

    let outcome: JsonObject[] | undefined;
    const deadline = int(spec.activeDeadlineSeconds, 0);
    if (failedPods.length > int(spec.backoffLimit, 6)) {
      outcome = [condition("FailureTarget", "BackoffLimitExceeded", "Job has reached the specified backoff limit", stamp), condition("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit", stamp)];
    } else if (deadline > 0 && Date.parse(startTime) + deadline * 1000 <= now) {
      outcome = [condition("FailureTarget", "DeadlineExceeded", "Job was active longer than specified deadline", stamp), condition("Failed", "DeadlineExceeded", "Job was active longer than specified deadline", stamp)];
    } else if (indexed ? doneIndexes.length >= (completions ?? 0) : completions === undefined ? succeededPods.length > 0 && active.length === 0 : succeededPods.length >= completions) {
      outcome = [condition("SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods", stamp), condition("Complete", "CompletionsReached", "Reached expected number of succeeded pods", stamp)];
    }

    const suspended = spec.suspend === true;
    if (outcome || suspended) {
      for (const pod of active) bestEffort(() => registry.delete(PODS, namespace, pod.metadata.name ?? ""));
      if (suspended && !outcome) conditions.push(condition("Suspended", "JobSuspended", "Job suspended", stamp));
    } else {
      this.startPods(job, { active, failedPods, succeeded: succeededPods.length, doneIndexes }, now);
    }
    const status: JsonObject = {
      ...(suspended && !previous.startTime ? {} : { startTime }),
      active: pods.filter(isActive).length,
      ready: pods.filter((p) => isActive(p) && isReady(p)).length,
      succeeded: succeededPods.length,
      failed: failedPods.length,
      terminating: pods.filter((p) => p.metadata.deletionTimestamp !== undefined).length,
      ...(indexed ? { completedIndexes: compressIndexes(doneIndexes) } : {}),
      ...(outcome?.[1]?.type === "Complete" ? { completionTime: stamp } : {}),
    };
    for (const key of ["active", "succeeded", "failed"]) if (status[key] === 0) delete status[key];
    const allConditions = [...conditions, ...(outcome ?? [])];
    if (allConditions.length > 0) status.conditions = allConditions;
    if (outcome) {
      const last = outcome[1] as JsonObject;
      recordEvent(registry, COMPONENT, job, last.type === "Complete" ? "Normal" : "Warning", last.type === "Complete" ? "Completed" : String(last.reason), last.type === "Complete" ? "Job completed" : String(last.message));
    }
    if (jsonEqual(status, job.status)) return;
    const next = cloneObject(job);
    next.status = status;
    bestEffort(() => registry.update(JOBS, namespace, job.metadata.name ?? "", next, { subresource: "status" }));
  }

  private startPods(
    job: K8sObject,
    pods: { active: K8sObject[]; failedPods: readonly K8sObject[]; succeeded: number; doneIndexes: readonly number[] },
    now: number,
  ): void {
    const { active, failedPods, succeeded, doneIndexes } = pods;
    const spec = job.spec as JsonObject;
    const parallelism = int(spec.parallelism, 1);
    const completions = typeof spec.completions === "number" ? spec.completions : undefined;
    const lastFailure = Math.max(0, ...failedPods.map((p) => this.failedAt.get(p.metadata.uid ?? "") ?? 0));
    const backoff = failedPods.length === 0 ? 0 : Math.min(BACKOFF_BASE_MS * 2 ** (failedPods.length - 1), BACKOFF_MAX_MS);
    if (lastFailure + backoff > now) return;
    let wanted: Array<number | undefined>;
    if (spec.completionMode === "Indexed") {
      const busy = new Set([...doneIndexes, ...active.map(indexOf)]);
      wanted = Array.from({ length: completions ?? 0 }, (_, i) => i).filter((i) => !busy.has(i));
    } else {
      // Without completions (a work queue), the first success means no more pods.
      const remaining = completions === undefined ? (succeeded > 0 ? 0 : parallelism) : completions - succeeded;
      wanted = Array.from({ length: Math.max(Math.min(parallelism, remaining) - active.length, 0) }, () => undefined);
    }
    for (const index of wanted.slice(0, Math.max(parallelism - active.length, 0))) {
      const created = bestEffort(() => this.registry.create(PODS, job.metadata.namespace, podForIndex(job, index)));
      if (!created) break;
      active.push(created);
      recordEvent(this.registry, COMPONENT, job, "Normal", "SuccessfulCreate", `Created pod: ${created.metadata.name ?? ""}`);
    }
  }

  /** ttlSecondsAfterFinished: the finished Job (and, in the background, its pods) goes. */
  private expire(job: K8sObject, finished: JsonObject, now: number): void {
    const ttl = isJsonObject(job.spec) ? job.spec.ttlSecondsAfterFinished : undefined;
    if (typeof ttl !== "number" || job.metadata.deletionTimestamp) return;
    if (Date.parse(String(finished.lastTransitionTime ?? "")) + ttl * 1000 > now) return;
    bestEffort(() => this.registry.delete(JOBS, job.metadata.namespace, job.metadata.name ?? "", { propagationPolicy: "Background" }));
  }
}
