/**
 * In-flight bookkeeping for graceful shutdown: every request (and every stream until its
 * last byte) holds a lease; `drain()` refuses new work and resolves when no lease is held.
 *
 * @module
 */

/** Counts leases; resolves drains when the count reaches zero. */
export class DrainTracker {
  #numInFlight = 0;
  #draining = false;
  #waiters: (() => void)[] = [];

  /** Requests (or streams) in flight. */
  get numInFlight(): number {
    return this.#numInFlight;
  }

  /** Whether a drain has begun. */
  get draining(): boolean {
    return this.#draining;
  }

  /** Takes a lease; the returned function gives it back (once). */
  begin(): () => void {
    this.#numInFlight++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (--this.#numInFlight === 0) this.#wakeAll();
    };
  }

  /** Starts draining; resolves when nothing is in flight. */
  drain(): Promise<void> {
    this.#draining = true;
    if (this.#numInFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #wakeAll(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
