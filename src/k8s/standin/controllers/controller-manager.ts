/**
 * The K8s stand-in's kube-controller-manager and kube-scheduler (staging and tests only): starts the
 * scheduler, every workload controller and the garbage collector on the shared store, and stops them together.
 */
import type { Registry } from "../registry";
import type { Store } from "../store";
import { deploymentController } from "./deployment-controller";
import { garbageCollector } from "./garbage-collector";
import { startController } from "./loop";
import { replicaSetController } from "./replicaset-controller";
import { scheduler } from "../scheduling/scheduler";

export function startControllerManager(store: Store, registry: Registry): () => void {
  const stops = [scheduler(registry), replicaSetController(registry), deploymentController(registry), garbageCollector(registry)].map((c) => startController(store, c));
  return () => {
    for (const stop of stops) stop();
  };
}
