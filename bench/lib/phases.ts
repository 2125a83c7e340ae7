/** Follows a cluster's status feed (as the relay does) and keeps the latest phase of every pod. */
import type { ClusterClient } from "./cluster";

export class PhaseTracker {
  private cursor = "0";
  private readonly phases = new Map<string, string>();
  private readonly goneUids = new Set<string>();

  constructor(private readonly cluster: ClusterClient) {}

  /** Reads one feed page, long-polling up to `waitS` seconds when nothing changed. */
  async pull(waitS: number): Promise<void> {
    const page = await this.cluster.feed(this.cursor, waitS);
    for (const p of page.pods) {
      if (p.gone) this.goneUids.add(p.uid);
      else this.phases.set(p.uid, p.status?.phase ?? "");
    }
    this.cursor = page.cursor;
  }

  count(phase: string, uids: Iterable<string>): number {
    let n = 0;
    for (const uid of uids) if (!this.goneUids.has(uid) && this.phases.get(uid) === phase) n++;
    return n;
  }

  /**
   * Pulls until `done()` holds, calling `progress` every `progressEveryMs` (default 30 s); after
   * `timeoutMs` throws with `describe()`, which says where it stood.
   */
  async until(done: () => boolean, opts: { timeoutMs: number; describe: () => string; progress?: () => void; progressEveryMs?: number }): Promise<void> {
    const start = performance.now();
    let lastProgress = start;
    while (!done()) {
      const now = performance.now();
      if (now - start > opts.timeoutMs) throw new Error(`timed out after ${Math.round(opts.timeoutMs / 1000)} s: ${opts.describe()}`);
      if (opts.progress && now - lastProgress >= (opts.progressEveryMs ?? 30_000)) {
        lastProgress = now;
        opts.progress();
      }
      await this.pull(1);
    }
  }
}
