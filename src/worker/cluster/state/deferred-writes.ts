/**
 * Writes a store holds back while `batch` runs (synchronously, inside the caller's transaction)
 * and writes in one go at its end. The store calls `flush` before any read of its table, so a
 * read in between sees them. Nested batches join the outer one. On a throw, nothing is written:
 * the caller's transaction rolls back what was.
 */
export class DeferredWrites<Pending> {
  #pending: Pending | undefined;

  constructor(
    private readonly empty: () => Pending,
    private readonly write: (pending: Pending) => void,
  ) {}

  /** The writes held back, when inside `batch`; undefined otherwise (write at once). */
  get pending(): Pending | undefined {
    return this.#pending;
  }

  batch<T>(fn: () => T): T {
    if (this.#pending) return fn();
    this.#pending = this.empty();
    let result: T;
    try {
      result = fn();
    } catch (e) {
      this.#pending = undefined;
      throw e;
    }
    this.flush();
    return result;
  }

  flush(): void {
    const pending = this.#pending;
    if (!pending) return;
    this.#pending = undefined;
    this.write(pending);
  }
}
