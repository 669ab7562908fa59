/**
 * A virtual clock for simulation: time moves only when something advances it (a simulated
 * step, a swap), and callbacks scheduled at a time run when the clock passes it, with the
 * clock reading exactly that time while they run.
 *
 * @module
 */
import { InvalidParameterError } from "@loom/core";

interface Timer {
  readonly atMs: number;
  readonly order: number;
  readonly fn: () => void;
}

/**
 * Virtual milliseconds. Pass `() => clock.nowMs` as the engine's `clock`.
 *
 * @example
 * ```ts
 * import { SimClock } from "./mod.ts";
 * const clock = new SimClock();
 * const seen: number[] = [];
 * clock.at(5, () => seen.push(clock.nowMs));
 * clock.advance(10);
 * console.log(seen, clock.nowMs); // [ 5 ] 10
 * ```
 */
export class SimClock {
  #nowMs: number;
  // binary min-heap of timers by (atMs, order)
  readonly #heap: Timer[] = [];
  #order = 0;

  /** @param startMs The time it starts at (default 0). */
  constructor(startMs = 0) {
    this.#nowMs = startMs;
  }

  /** The current virtual time, ms. */
  get nowMs(): number {
    return this.#nowMs;
  }

  /** A clock function for `EngineOptions.clock`. */
  readonly now = (): number => this.#nowMs;

  /** Timers not yet run. */
  get numPending(): number {
    return this.#heap.length;
  }

  /** Time of the next timer, or `undefined` when none is pending. */
  get nextAtMs(): number | undefined {
    return this.#heap[0]?.atMs;
  }

  /** Runs `fn` when the clock reaches `atMs` (at once on the next advance if it is past). */
  at(atMs: number, fn: () => void): void {
    if (!Number.isFinite(atMs)) throw new InvalidParameterError("atMs", `must be finite`);
    const h = this.#heap;
    h.push({ atMs, order: this.#order++, fn });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  /** Moves time forward by `ms`, running timers due on the way (each at its own time). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new InvalidParameterError("ms", `must be >= 0, got ${ms}`);
    this.advanceTo(this.#nowMs + ms);
  }

  /** Moves time forward to `atMs` (never back), running timers due on the way. */
  advanceTo(atMs: number): void {
    const end = Math.max(this.#nowMs, atMs);
    while (this.#heap.length > 0 && this.#heap[0]!.atMs <= end) {
      const t = this.#pop();
      this.#nowMs = Math.max(this.#nowMs, t.atMs);
      t.fn();
    }
    this.#nowMs = end;
  }

  /** Jumps to the next timer and runs it (and any others due then); false when none. */
  runNext(): boolean {
    const next = this.nextAtMs;
    if (next === undefined) return false;
    this.advanceTo(next);
    return true;
  }

  #pop(): Timer {
    const h = this.#heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.order < b.order);
}
