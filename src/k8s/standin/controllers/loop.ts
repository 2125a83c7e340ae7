/**
 * The control loop every controller of the K8s stand-in (staging and tests only) runs: a pass over
 * the whole state, queued after any change of the resources it watches (changes arriving during a
 * pass queue one more), and repeated every `resyncMs` for what depends on time (minReadySeconds,
 * back-off, deadlines). Level-based, like kube-controller-manager's informers plus workqueue: a
 * pass compares desired with observed and writes the difference; a write that loses a race
 * (Conflict, NotFound, AlreadyExists) is retried by the next pass.
 */
import { ApiError } from "../api-errors";
import type { ResourceType } from "../resources";
import { qualifiedResource } from "../resources";
import type { Store } from "../store";

export interface Controller {
  name: string;
  watches: readonly ResourceType[];
  /** One pass; throwing an ApiError ends the pass early, to be retried. */
  sync(): Promise<void> | void;
  resyncMs?: number;
}

export function startController(store: Store, controller: Controller): () => void {
  let stopped = false;
  let running = false;
  let again = false;
  let timer: NodeJS.Timeout | undefined;

  const run = async (): Promise<void> => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        try {
          await controller.sync();
        } catch (err) {
          if (!(err instanceof ApiError)) console.error(`k8s stand-in: ${controller.name} controller failed`, err);
        }
      } while (again && !stopped);
    } finally {
      running = false;
    }
  };
  let queued = false;
  const queue = (): void => {
    if (queued || stopped) return;
    queued = true;
    setImmediate(() => {
      queued = false;
      void run();
    });
  };
  const unsubscribers = controller.watches.map((rt) => store.watch(qualifiedResource(rt), store.resourceVersion, queue));
  if (controller.resyncMs) {
    timer = setInterval(queue, controller.resyncMs);
    timer.unref();
  }
  queue();
  return () => {
    stopped = true;
    if (timer) clearInterval(timer);
    for (const unsubscribe of unsubscribers) unsubscribe();
  };
}

/** Runs a write whose failure from a lost race the next pass repairs; other errors propagate. */
export function bestEffort<T>(write: () => T): T | undefined {
  try {
    return write();
  } catch (err) {
    if (err instanceof ApiError && [404, 409, 422].includes(err.code)) return undefined;
    throw err;
  }
}
