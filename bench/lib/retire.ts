import type { ClusterClient } from "./cluster";
import { deleted, type BenchPod } from "./pods";
import { poll } from "./wait";

/**
 * Deletes a scenario's pods and waits until they are gone, so their machines stop costing API
 * calls (the exit watch lists a cluster's stopped machines every 2 s while any may run) and the
 * scenarios after it can wait for a quiet emulator.
 */
export async function retire(cluster: ClusterClient, pods: readonly BenchPod[]): Promise<void> {
  await cluster.postEvents(pods.map(deleted));
  for (const pod of pods) {
    await poll(`pod ${pod.metadata.uid} to be gone`, async () => ((await cluster.pod(pod.metadata.uid)) === undefined ? true : undefined), { everyMs: 50, timeoutMs: 60_000 });
  }
}
