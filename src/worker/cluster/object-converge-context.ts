import type { MachinesClient } from "../../machines/client";
import type { SpareSettings } from "../translate/spare-template";
import type { ConvergeContext } from "./converge-context";
import { podIds, type DecisionLog } from "./decision-log";
import type { ImagePullBackoff } from "./image-pull-backoff";
import type { OpsRecorder } from "./ops-recorder";
import type { RateBudget } from "./rate-budget";
import type { ClusterState } from "./state";
import type { StatusPublisher } from "./status-publisher";
import type { WaitLanes } from "./wait-lanes";

/** The cluster object's long-lived parts a convergence step uses. */
export interface ConvergeParts {
  state: ClusterState;
  budget: RateBudget;
  waits: WaitLanes;
  imagePulls: ImagePullBackoff;
  status: StatusPublisher;
  decisions: DecisionLog;
  recorder: OpsRecorder;
}

/** What each convergence step is given: the object's parts, a Machines client and the cluster's names. */
export function convergeContextOf(
  { state, budget, waits, imagePulls, status, decisions, recorder }: ConvergeParts,
  run: { machines: MachinesClient; app: string; cluster: string; spareSettings: SpareSettings },
): ConvergeContext {
  return {
    ...run,
    pods: state.pods,
    spares: state.spares,
    budget,
    waits,
    imagePulls,
    now: Date.now,
    refreshStatus: (rec) => status.refresh(rec),
    showStatusEarly: (rec) => status.showEarly(rec),
    finish: (uid) => {
      const rec = state.pods.get(uid);
      if (rec) decisions.record({ action: "forget", outcome: "done", reason: "the machine is confirmed destroyed (or kept as a spare): the pod may go", pod: podIds(rec), machine: rec.machineId });
      status.finish(uid);
    },
    decide: (d) => decisions.record(d),
    budgetWaited: (_action, ms) => recorder.budgetWait(ms / 1000),
  };
}
