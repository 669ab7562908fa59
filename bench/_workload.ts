/**
 * The load of `bench:serve`, as vLLM's serving benchmark draws it: request arrivals from a
 * gamma process (burstiness 1 is Poisson; below 1 burstier, above 1 more regular) at a
 * request rate, or all at once (rate ∞, usually with a concurrency cap); prompt and output
 * lengths uniform in `[len·(1 − r), len·(1 + r)]`; an optional prefix shared by every prompt.
 * Seeded: the same options give the same load.
 *
 * @module
 */
import { Rng } from "@loom/core";
import { gamma } from "../backends/sim/_dists.ts";
import { benchWords } from "./_bench_vocab.ts";

/** One request of the load. */
export interface BenchRequest {
  /** Text prompt: `promptWords` three-letter words (one token each with the bench vocab). */
  readonly prompt: string;
  readonly promptWords: number;
  /** `max_tokens` (EOS is ignored, so also the output length). */
  readonly maxTokens: number;
  /** When to send it, ms after the start. */
  readonly sendAtMs: number;
}

/** What to generate. */
export interface WorkloadOptions {
  readonly numRequests: number;
  /** Requests per second; `Infinity` sends all at once. */
  readonly requestRate: number;
  /** Gamma shape of the inter-arrival times (1: Poisson). */
  readonly burstiness: number;
  readonly inputLen: number;
  readonly outputLen: number;
  /** Relative half-width of the length ranges, in [0, 1). */
  readonly rangeRatio: number;
  /** Words of a prefix shared by every prompt (counted in `inputLen`). */
  readonly prefixLen: number;
  readonly seed: number;
}

/**
 * A gamma(shape, scale) sample: the simulator's gamma draw (Marsaglia and Tsang; shape < 1 by
 * the `U^(1/shape)` boost), scaled.
 *
 * @example
 * ```ts
 * import { Rng } from "@loom/core";
 * import { sampleGamma } from "./_workload.ts";
 * const rng = new Rng(1);
 * const xs = Array.from({ length: 20000 }, () => sampleGamma(rng, 2, 0.5));
 * console.log(Math.abs(xs.reduce((a, b) => a + b) / xs.length - 1) < 0.05); // true
 * ```
 */
export function sampleGamma(rng: Rng, shape: number, scale: number): number {
  return gamma(rng, shape) * scale;
}

/**
 * Send times (ms after the start) of `n` requests: cumulative gamma inter-arrival times with
 * mean `1 / rate` (all 0 when the rate is infinite).
 *
 * @example
 * ```ts
 * import { Rng } from "@loom/core";
 * import { arrivalTimesMs } from "./_workload.ts";
 * console.log(arrivalTimesMs(3, Infinity, 1, new Rng(1))); // [ 0, 0, 0 ]
 * ```
 */
export function arrivalTimesMs(n: number, rate: number, burstiness: number, rng: Rng): number[] {
  let t = 0;
  return Array.from({ length: n }, () => {
    if (!Number.isFinite(rate)) return 0;
    t += sampleGamma(rng, burstiness, 1 / (rate * burstiness)) * 1000;
    return t;
  });
}

/**
 * An integer length uniform in `[max(1, ⌊len·(1 − r)⌋), ⌊len·(1 + r)⌋]`.
 *
 * @example
 * ```ts
 * import { Rng } from "@loom/core";
 * import { sampleLength } from "./_workload.ts";
 * console.log(sampleLength(new Rng(1), 64, 0)); // 64
 * ```
 */
export function sampleLength(rng: Rng, len: number, rangeRatio: number): number {
  const lo = Math.max(1, Math.floor(len * (1 - rangeRatio)));
  const hi = Math.max(lo, Math.floor(len * (1 + rangeRatio)));
  return lo + Math.floor(rng.next() * (hi - lo + 1));
}

/**
 * Builds the load.
 *
 * @example
 * ```ts
 * import { buildWorkload } from "./_workload.ts";
 * const w = buildWorkload({
 *   numRequests: 2, requestRate: Infinity, burstiness: 1, inputLen: 8, outputLen: 4,
 *   rangeRatio: 0, prefixLen: 3, seed: 0,
 * });
 * const shared = w[0]!.prompt.slice(0, 11) === w[1]!.prompt.slice(0, 11);
 * console.log(w[0]!.promptWords, shared); // 8 true
 * ```
 */
export function buildWorkload(o: WorkloadOptions): BenchRequest[] {
  const rng = new Rng(o.seed);
  const times = arrivalTimesMs(o.numRequests, o.requestRate, o.burstiness, rng);
  const prefix = o.prefixLen > 0 ? benchWords(o.prefixLen, o.seed + 1_000_003) : "";
  return times.map((sendAtMs, i) => {
    const promptWords = Math.max(o.prefixLen + 1, sampleLength(rng, o.inputLen, o.rangeRatio));
    const own = benchWords(promptWords - o.prefixLen, o.seed * 7919 + i);
    return {
      prompt: prefix ? `${prefix} ${own}` : own,
      promptWords,
      maxTokens: sampleLength(rng, o.outputLen, o.rangeRatio),
      sendAtMs,
    };
  });
}
