/**
 * Writes a store holds back while `batch` runs (synchronously, inside the caller's transaction)
 * and writes in one go at its end. The store calls `flush` before any read of its table, so a
 * read in between sees them; writes after that read are held back again until the next flush
 * or the batch's end. Nested batches join the outer one. On a throw, nothing is written: the
 * caller's transaction rolls back what was.
 *
 * At most `limit` writes are held (a write that replaces a held one counts too): past it they are
 * written then and there, still inside the transaction, so that a snapshot of 10,000 pods keeps one batch's rows
 * in memory at a time, not all of them, at the same number of statements (json-batches.ts).
 */
export class DeferredWrites<Pending> {
  #pending: Pending | undefined;
  /** How many writes were held back since the last flush (an empty `Pending` is never written). */
  #held = 0;

  constructor(
    private readonly empty: () => Pending,
    private readonly write: (pending: Pending) => void,
    private readonly limit: number,
  ) {}

  /** Inside `batch`: `add`s a write to those held back and returns true. Outside: false (the caller writes at once). */
  hold(add: (pending: Pending) => void): boolean {
    const pending = this.#pending;
    if (!pending) return false;
    add(pending);
    if (++this.#held >= this.limit) this.flush();
    return true;
  }

  batch<T>(fn: () => T): T {
    if (this.#pending) return fn();
    this.#pending = this.empty();
    this.#held = 0;
    let result: T;
    try {
      result = fn();
      this.flush();
    } finally {
      this.#pending = undefined;
    }
    return result;
  }

  flush(): void {
    const pending = this.#pending;
    if (!pending || this.#held === 0) return;
    // Swapped out before writing: a flush the write itself triggers finds nothing held.
    this.#pending = this.empty();
    this.#held = 0;
    this.write(pending);
  }
}
