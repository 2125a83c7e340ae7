import { MachinesApiError } from "../../machines/errors";
import { backoffMs } from "./backoff";
import { again, BudgetWait, DONE, setProblem, vanished, type ConvergeContext, type StepResult } from "./converge-context";
import { podIds } from "./decision-log";
import { errImagePull, isImagePullRefusal, podImages } from "./image-pull-backoff";
import type { PodRecord } from "./state";

/** How long ErrImagePull shows before the step turns it into ImagePullBackOff (the kubelet's next sync). */
const ERR_IMAGE_PULL_SHOWN_MS = 2_000;

/** What a failed step does next, by the kind of failure; the problem it sets says why on the pod. */
export function onError(ctx: ConvergeContext, rec: PodRecord, e: unknown, attempts: number): StepResult {
  if (e instanceof BudgetWait) return again(e.ms);
  const r = errorStep(ctx, rec, e, attempts);
  const message = e instanceof Error ? e.message : String(e);
  const status = e instanceof MachinesApiError ? `${e.status} ` : "";
  const recreating = e instanceof MachinesApiError && e.kind === "not_found"; // vanished() said so
  if (r.next === "again" && !recreating) ctx.decide({ action: "retry", outcome: "retry", reason: `${status}${message}; next try in ${Math.ceil(r.inMs / 100) / 10} s`, pod: podIds(rec), machine: rec.machineId });
  else if (ctx.pods.get(rec.uid)?.problem?.terminal) ctx.decide({ action: "refuse", outcome: "refused", reason: `${status}${message}`, pod: podIds(rec), machine: rec.machineId });
  return r;
}

function errorStep(ctx: ConvergeContext, rec: PodRecord, e: unknown, attempts: number): StepResult {
  if (!(e instanceof MachinesApiError)) {
    const message = e instanceof Error ? e.message : String(e);
    setProblem(ctx, rec, { reason: "ProviderError", message, terminal: false });
    return again(backoffMs(attempts), message, true);
  }
  switch (e.kind) {
    case "rate_limited":
      setProblem(ctx, rec, { reason: "RateLimited", message: e.message, terminal: false });
      return again(e.rateLimitWaitMs, e.message);
    case "not_found":
      if (rec.desired !== "run") {
        ctx.finish(rec.uid);
        return DONE;
      }
      return vanished(ctx, rec);
    case "conflict":
    case "precondition":
      // Stale version or a racing transition: re-read the machine before acting again.
      if (rec.machineId) ctx.pods.requestReread(rec.uid, ctx.now());
      return again(backoffMs(attempts), e.message, true);
    case "invalid": {
      if (isImagePullRefusal(e)) {
        const images = podImages(rec.pod);
        const pull = errImagePull(e, images);
        const backoff = ctx.imagePulls.failed(rec.uid, images, ctx.now(), pull);
        setProblem(ctx, rec, pull.problem);
        return again(Math.min(backoff, ERR_IMAGE_PULL_SHOWN_MS), e.message);
      }
      setProblem(ctx, rec, {
        reason: e.flyStatus === "insufficient_capacity" ? "InsufficientCapacity" : "ProviderFailed",
        message: e.message,
        terminal: true,
      });
      return DONE;
    }
    case "unauthorized":
    case "transient":
      setProblem(ctx, rec, { reason: e.kind === "unauthorized" ? "ProviderUnauthorized" : "ProviderRetrying", message: e.message, terminal: false });
      return again(backoffMs(attempts), e.message, true);
  }
}
