/**
 * A small seeded PRNG (mulberry32) for sampling: the same seed gives the same stream on
 * every platform.
 *
 * @module
 */

/**
 * Seeded random numbers in [0, 1).
 *
 * @example
 * ```ts
 * import { Rng } from "@loom/core";
 * const a = new Rng(42), b = new Rng(42);
 * console.log(a.next() === b.next()); // true
 * ```
 */
export class Rng {
  #state: number;

  /**
   * Creates an instance.
   *
   * @param seed Any integer; omitted → a random seed.
   */
  constructor(seed?: number) {
    this.#state = seed === undefined
      ? crypto.getRandomValues(new Uint32Array(1))[0]!
      : (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
  }

  /** Next value in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
