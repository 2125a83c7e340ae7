import { backoffMs } from "./backoff";
import { prewarmSpares, type PrewarmOutcome, type SparePoolContext } from "./spare-pool";

/** How soon pre-warming looks again while spares are missing: Fly's create bucket refills one token a second. */
const RETRY_MS = 1_000;

/**
 * Runs pre-warming (spare-pool.ts) one pass at a time, and again a second later while spares are
 * still missing. After a pass whose create failed (a quota reached, a region out of capacity, an
 * image gone), no pass runs before a back-off (1 s doubling to 60 s) has passed, however often it
 * is kicked: a template whose spares cannot be made costs one call a minute, not one a second.
 * In memory: after an eviction, the next reconcile pass kicks it again.
 */
export class Prewarmer {
  #running: Promise<void> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Passes in a row whose create failed. */
  #failures = 0;
  #notBefore = 0;

  constructor(
    private readonly context: () => SparePoolContext,
    private readonly ready: () => Promise<boolean>,
    /** Whether any template asks for pre-warmed spares at all (most clusters: none, and nothing runs). */
    private readonly wanted: () => boolean,
    private readonly now: () => number = Date.now,
    private readonly pass: (ctx: SparePoolContext) => Promise<PrewarmOutcome> = prewarmSpares,
  ) {}

  kick(): Promise<void> {
    return this.now() < this.#notBefore ? Promise.resolve() : this.#run();
  }

  /** One pass (or the one under way); its outcome sets when the next runs by itself. */
  #run(): Promise<void> {
    if (!this.wanted()) return Promise.resolve();
    this.#running ??= (async () => {
      let outcome: PrewarmOutcome = { missing: 0, failed: false };
      try {
        if (await this.ready()) outcome = await this.pass(this.context());
      } catch {
        outcome = { missing: 1, failed: true }; // a failed look is retried like a failed create
      } finally {
        this.#running = undefined;
      }
      this.#failures = outcome.failed ? this.#failures + 1 : 0;
      const delay = outcome.failed ? backoffMs(this.#failures - 1) : RETRY_MS;
      this.#notBefore = outcome.failed ? this.now() + delay : 0;
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#timer = outcome.missing > 0 ? setTimeout(() => void this.#run(), delay) : undefined;
    })();
    return this.#running;
  }
}
