/**
 * The K8s stand-in's kube-controller-manager and kube-scheduler (staging and tests only): starts the
 * scheduler, every workload controller and the garbage collector on the shared store, and stops them together.
 */
import type { AdmittedWrites } from "../admission/admitted-writes";
import type { Store } from "../store";
import { deploymentController } from "./deployment-controller";
import { endpointsController } from "./endpoints-controller";
import { JobController } from "./job-controller";
import { statefulSetController } from "./statefulset-controller";
import { garbageCollector } from "./garbage-collector";
import { pvcProtectionController } from "./pvc-protection-controller";
import { startController } from "./loop";
import { replicaSetController } from "./replicaset-controller";
import { scheduler } from "../scheduling/scheduler";

export function startControllerManager(store: Store, writes: AdmittedWrites): () => void {
  const registry = writes.registry;
  const controllers = [
    scheduler(registry),
    replicaSetController(writes),
    deploymentController(registry),
    statefulSetController(writes),
    new JobController(writes),
    endpointsController(registry),
    garbageCollector(registry),
    pvcProtectionController(registry),
  ];
  const stops = controllers.map((c) => startController(store, c));
  return () => {
    for (const stop of stops) stop();
  };
}
