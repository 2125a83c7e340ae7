import { prewarmSpares, type SparePoolContext } from "./spare-pool";

/** How soon pre-warming looks again while spares are missing: Fly's create bucket refills one token a second. */
const RETRY_MS = 1_000;

/**
 * Runs pre-warming (spare-pool.ts) one pass at a time, and again a second later while spares are
 * still missing. In memory: after an eviction, the next reconcile pass kicks it again.
 */
export class Prewarmer {
  #running: Promise<void> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly context: () => SparePoolContext,
    private readonly ready: () => Promise<boolean>,
    /** Whether any template asks for pre-warmed spares at all (most clusters: none, and nothing runs). */
    private readonly wanted: () => boolean,
  ) {}

  kick(): Promise<void> {
    if (!this.wanted()) return Promise.resolve();
    this.#running ??= (async () => {
      let missing = 0;
      try {
        if (await this.ready()) missing = await prewarmSpares(this.context());
      } catch {
        missing = 1; // a failed look is retried like a missing spare
      } finally {
        this.#running = undefined;
      }
      if (missing > 0 && this.#timer === undefined) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          void this.kick();
        }, RETRY_MS);
      }
    })();
    return this.#running;
  }
}
