/**
 * Synthetic request traces: Poisson or bursty (gamma) arrivals, heavy-tailed (lognormal)
 * prompt and output lengths, a mix of request classes (priority, TTFT and TPOT targets) and
 * shared prompt prefixes. Seeded: the same options give the same trace.
 *
 * @module
 */
import { InvalidParameterError, Rng } from "@loom/core";
import { gamma, hash2, lognormalInt, pick } from "./_dists.ts";

/** A lognormal length distribution, clipped. */
export interface LengthDist {
  /** Median tokens. */
  readonly median: number;
  /** Log-space standard deviation (1 gives a heavy tail: p99 ≈ 10× the median). */
  readonly sigma: number;
  /** Smallest value (default 1). */
  readonly min?: number;
  /** Largest value (default 4096). */
  readonly max?: number;
}

/** A kind of request, drawn with probability proportional to `share`. */
export interface RequestClass {
  /** Name, for reports. */
  readonly name: string;
  /** Relative frequency. */
  readonly share: number;
  /** Priority (default 0). */
  readonly priority?: number;
  /** Time-to-first-token target, ms. */
  readonly ttftMs?: number;
  /** Time-per-output-token target, ms. */
  readonly tpotMs?: number;
}

/** Options of {@linkcode generateTrace}. */
export interface TraceOptions {
  /** Requests. */
  readonly numRequests: number;
  /** Mean arrivals per second. */
  readonly ratePerS: number;
  /** Seed (default 1). */
  readonly seed?: number;
  /** Coefficient of variation of gaps: 1 is Poisson, above 1 bursty gamma (default 1). */
  readonly burstiness?: number;
  /** Prompt lengths, excluding any shared prefix (default median 200, sigma 1). */
  readonly promptTokens?: LengthDist;
  /** Output lengths (default median 48, sigma 1). */
  readonly outputTokens?: LengthDist;
  /** Request classes (default: one, priority 0, no targets). */
  readonly classes?: readonly RequestClass[];
  /** Share of requests that start with one of `numPrefixes` shared prefixes. */
  readonly sharedPrefix?: {
    readonly share: number;
    readonly numPrefixes: number;
    readonly numTokens: number;
  };
}

/** One request of a trace. */
export interface TraceRequest {
  /** Position in the trace. */
  readonly index: number;
  /** Arrival time, ms from the start. */
  readonly arrivalMs: number;
  /** Prompt tokens (shared prefix included). */
  readonly numPromptTokens: number;
  /** Tokens to generate (the engine's `maxTokens`; EOS is ignored). */
  readonly maxTokens: number;
  /** Class name. */
  readonly className: string;
  /** Priority. */
  readonly priority: number;
  /** TTFT target, ms. */
  readonly ttftMs: number | undefined;
  /** TPOT target, ms. */
  readonly tpotMs: number | undefined;
  /** Shared prefix id, or -1. */
  readonly prefixId: number;
  /** Tokens of the shared prefix (0 without one). */
  readonly numPrefixTokens: number;
}

/**
 * Generates a trace.
 *
 * @example
 * ```ts
 * import { generateTrace } from "./mod.ts";
 * const a = generateTrace({ numRequests: 100, ratePerS: 10, seed: 3, burstiness: 2 });
 * const b = generateTrace({ numRequests: 100, ratePerS: 10, seed: 3, burstiness: 2 });
 * console.log(a.length, JSON.stringify(a) === JSON.stringify(b)); // 100 true
 * ```
 */
export function generateTrace(options: TraceOptions): TraceRequest[] {
  const { numRequests, ratePerS } = options;
  if (!Number.isInteger(numRequests) || numRequests < 0) {
    throw new InvalidParameterError("numRequests", `must be an integer >= 0`);
  }
  if (!(ratePerS > 0)) throw new InvalidParameterError("ratePerS", `must be > 0`);
  const cv = options.burstiness ?? 1;
  if (!(cv > 0)) throw new InvalidParameterError("burstiness", `must be > 0`);
  const rng = new Rng(options.seed ?? 1);
  const prompt = options.promptTokens ?? { median: 200, sigma: 1 };
  const output = options.outputTokens ?? { median: 48, sigma: 1 };
  const classes = options.classes ?? [{ name: "default", share: 1 }];
  const weights = classes.map((c) => c.share);
  const shared = options.sharedPrefix;
  // gamma gaps with shape k = 1/cv² and mean 1000/rate ms (k = 1 is exponential)
  const k = 1 / (cv * cv), meanGapMs = 1000 / ratePerS;
  const out: TraceRequest[] = [];
  let t = 0;
  for (let i = 0; i < numRequests; i++) {
    t += (gamma(rng, k) / k) * meanGapMs;
    const cls = classes[pick(rng, weights)]!;
    const hasPrefix = shared !== undefined && rng.next() < shared.share;
    // popular prefixes are reused more: a Zipf-like draw over the prefix ids
    const prefixId = hasPrefix ? Math.floor(shared.numPrefixes * Math.pow(rng.next(), 2)) : -1;
    const numPrefixTokens = hasPrefix ? shared.numTokens : 0;
    const own = lognormalInt(rng, prompt.median, prompt.sigma, prompt.min ?? 1, prompt.max ?? 4096);
    out.push({
      index: i,
      arrivalMs: t,
      numPromptTokens: numPrefixTokens + own,
      maxTokens: lognormalInt(
        rng,
        output.median,
        output.sigma,
        output.min ?? 1,
        output.max ?? 4096,
      ),
      className: cls.name,
      priority: cls.priority ?? 0,
      ttftMs: cls.ttftMs,
      tpotMs: cls.tpotMs,
      prefixId,
      numPrefixTokens,
    });
  }
  return out;
}

/**
 * The prompt's token ids (bytes 0–255): the shared prefix's, then the request's own.
 * Built on demand, so a trace of 100,000 requests stays small.
 *
 * @example
 * ```ts
 * import { generateTrace, promptIds } from "./mod.ts";
 * const [r] = generateTrace({ numRequests: 1, ratePerS: 1 });
 * console.log(promptIds(r!).length === r!.numPromptTokens); // true
 * ```
 */
export function promptIds(r: TraceRequest): number[] {
  const ids = new Array<number>(r.numPromptTokens);
  for (let i = 0; i < r.numPrefixTokens; i++) ids[i] = hash2(1_000_003 + r.prefixId, i) & 0xff;
  for (let i = r.numPrefixTokens; i < r.numPromptTokens; i++) ids[i] = hash2(r.index, i) & 0xff;
  return ids;
}
