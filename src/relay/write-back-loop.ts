import { Backoff, sleep, type BackoffPolicy } from "./backoff";
import type { KubeObject } from "./kube-api";
import { errorMessage, type Logger } from "./log";

export interface WriteBackOptions<T extends KubeObject> {
  /** What is written, for the log ("a Service's Fly address"). */
  what: string;
  log: Logger;
  /** How soon a pending object is written first; later tries back off up to `backoff.maxMs`. */
  backoff: BackoffPolicy;
  /** Writes what the worker made of `obj` onto it; true when nothing is left to write. */
  write(obj: T): Promise<boolean>;
}

interface Pending<T> {
  object: T;
  dueAt: number;
  backoff: Backoff;
}

/**
 * The relay's loop for writing the worker's view back onto Kubernetes objects (a Service's Fly
 * address, a claim's status): an object is pending from its event until a write says it is done,
 * tried again with backoff meanwhile; a newer event replaces the pending copy (and is tried at
 * once); a failed write is logged and retried.
 */
export class WriteBackLoop<T extends KubeObject> {
  readonly #pending = new Map<string, Pending<T>>();
  readonly #abort = new AbortController();
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;

  constructor(private readonly opts: WriteBackOptions<T>) {}

  /** `obj` is to be written (now, then until done). */
  want(obj: T): void {
    this.#pending.set(obj.metadata.uid!, { object: obj, dueAt: Date.now(), backoff: new Backoff(this.opts.backoff) });
    this.#wake?.();
  }

  /** Nothing is to be written for `uid` any more (gone, or no longer of the kind written). */
  drop(uid: string): void {
    this.#pending.delete(uid);
  }

  /** Objects still waiting for their write. */
  get pending(): number {
    return this.#pending.size;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    this.#wake?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#abort.signal.aborted) {
      const now = Date.now();
      for (const [uid, p] of [...this.#pending]) {
        if (p.dueAt > now || this.#abort.signal.aborted) continue;
        const done = await this.opts.write(p.object).catch((e: unknown) => {
          this.opts.log.warn(`writing ${this.opts.what} failed`, { namespace: p.object.metadata.namespace, name: p.object.metadata.name, error: errorMessage(e) });
          return false;
        });
        // An event that arrived meanwhile replaced the entry: it is looked at on its own.
        if (this.#pending.get(uid) !== p) continue;
        if (done) this.#pending.delete(uid);
        else p.dueAt = Date.now() + p.backoff.next();
      }
      // A loop, not Math.min(...dues): spreading them as arguments overflows the stack past ~100k objects.
      let next = Infinity;
      for (const p of this.#pending.values()) next = Math.min(next, p.dueAt);
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        void sleep(Number.isFinite(next) ? Math.max(0, next - Date.now()) : 60_000, this.#abort.signal).then(resolve);
      });
      this.#wake = undefined;
    }
  }
}
