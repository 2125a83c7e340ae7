/**
 * How many Machines API `wait` calls one cluster object keeps open at once. A Worker invocation
 * (a Durable Object's included) may have six connections waiting for response headers; a seventh
 * queues until one of them answers (Cloudflare, Workers limits: "Simultaneous open connections").
 * A `wait` holds its connection until the machine settles or the wait times out (up to
 * WAIT_TIMEOUT_S), so one wait per booting machine would hold all six while a burst boots, and
 * every create, update and read would queue behind them. Waits take at most WAIT_LANES
 * connections; the others stay for calls that answer at once. Machines that settle while no lane
 * watches them are seen by the machine watch's list (exit-watch.ts).
 */
export const WAIT_LANES = 2;

export class WaitLanes {
  #open = 0;

  constructor(private readonly lanes = WAIT_LANES) {}

  /** Takes a lane: the function that gives it back, or undefined when every lane is taken (then make no `wait`). */
  tryTake(): (() => void) | undefined {
    if (this.#open >= this.lanes) return undefined;
    this.#open++;
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.#open--;
    };
  }
}
