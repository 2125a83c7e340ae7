/**
 * One run of a ResourceInformer (informers.ts): the state of one ListWatch from its list to its
 * restart, and the Watch that goes silent once its run is superseded.
 */
import { ListWatch, Watch, type KubeConfig } from "@kubernetes/client-node";
import type { KubeObject } from "./kube-api";

export interface Run {
  stale: boolean;
  abort: AbortController;
  lw: ListWatch<KubeObject>;
  /** A list has been fetched and is being applied; the next watch() call means it is done. */
  listing: boolean;
  listedOnce: boolean;
  /** Stopped on an error, waiting for its restart: its cache is no longer followed. */
  failed: boolean;
  /** The previous run's cache, for the first list of this run. */
  baseline?: Map<string, KubeObject>;
  /** Names whose cached object was replaced by one with another UID: their next `update` is an ADDED. */
  replaced: Set<string>;
}

function abortedController(): AbortController {
  const c = new AbortController();
  c.abort();
  return c;
}

/** A Watch that reports activity and events to its run, and goes silent once the run is superseded. */
export class RunWatch extends Watch {
  constructor(
    kc: KubeConfig,
    private readonly run: () => Run,
    private readonly hooks: { beforeWatch: (run: Run) => void; onRawEvent: (run: Run, phase: string, obj: KubeObject) => void },
  ) {
    super(kc);
  }

  override async watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, obj: any, raw?: any) => void,
    done: (err: any) => void,
  ): Promise<AbortController> {
    const run = this.run();
    if (run.stale) return abortedController();
    this.hooks.beforeWatch(run);
    let controller: AbortController;
    try {
      controller = await super.watch(
        path,
        query,
        (phase, obj, raw) => {
          if (run.stale) return;
          this.hooks.onRawEvent(run, phase, obj);
          callback(phase, obj, raw);
        },
        (err) => {
          if (!run.stale) done(err);
        },
      );
    } catch (e) {
      if (!run.stale) done(e);
      return abortedController();
    }
    if (run.stale) controller.abort();
    return controller;
  }
}
