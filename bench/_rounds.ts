/**
 * Rounds of `bench:decode`: Loom and every peer run once per round, one after the other, so
 * that each round's ratio compares engines measured within a minute of each other. On a shared
 * machine whose speed drifts by ±20 % over minutes, the ratios of the rounds (paired) vary less
 * than a ratio of figures taken far apart.
 *
 * @module
 */
import { type DecodeResult, type Rate, rate } from "./_loom_decode.ts";
import { percentile } from "./_stats.ts";

/**
 * One engine's results over all rounds: the runs of every round pooled, for prefill, decode
 * and each batch size.
 *
 * @example
 * ```ts
 * import { rate } from "./_loom_decode.ts";
 * import { mergeRounds } from "./_rounds.ts";
 * const r = (d: number[]) => ({ engine: "x", numThreads: 2, prefill: rate([1]), decode: rate(d), batched: {} });
 * console.log(mergeRounds([r([10, 12]), r([14])]).decode.median); // 12
 * ```
 */
export function mergeRounds(rounds: readonly DecodeResult[]): DecodeResult {
  const first = rounds[0];
  if (!first) throw new Error("mergeRounds: no rounds");
  const pool = (pick: (r: DecodeResult) => Rate | undefined): Rate | undefined => {
    const runs = rounds.flatMap((r) => pick(r)?.runs ?? []);
    return runs.length > 0 ? rate(runs) : undefined;
  };
  const batched: Record<number, Rate> = {};
  for (const b of Object.keys(first.batched).map(Number)) {
    const merged = pool((r) => r.batched[b]);
    if (merged) batched[b] = merged;
  }
  return {
    engine: first.engine,
    numThreads: first.numThreads,
    prefill: pool((r) => r.prefill)!,
    decode: pool((r) => r.decode)!,
    batched,
  };
}

/** Loom ÷ a peer, round by round: the median and the range of the rounds' ratios. */
export interface PairedRatio {
  /** The median over the rounds. */
  readonly median: number;
  /** The lowest and highest round. */
  readonly min: number;
  readonly max: number;
  /** Each round's ratio, in round order. */
  readonly rounds: readonly number[];
}

/**
 * Loom's median ÷ the peer's median of the same round, for each round where both ran.
 *
 * @example
 * ```ts
 * import { rate } from "./_loom_decode.ts";
 * import { pairedRatio } from "./_rounds.ts";
 * const r = (d: number) => ({ engine: "x", numThreads: 2, prefill: rate([1]), decode: rate([d]), batched: {} });
 * const p = pairedRatio([r(40), r(50)], [r(50), r(50)], (x) => x.decode.median);
 * console.log(p?.median, p?.min); // 0.9 0.8
 * ```
 */
export function pairedRatio(
  loom: readonly DecodeResult[],
  peer: readonly (DecodeResult | undefined)[],
  pick: (r: DecodeResult) => number,
): PairedRatio | undefined {
  const ratios: number[] = [];
  loom.forEach((l, i) => {
    const p = peer[i];
    if (p && pick(p) > 0) ratios.push(pick(l) / pick(p));
  });
  if (ratios.length === 0) return undefined;
  return {
    median: percentile(ratios, 50),
    min: Math.min(...ratios),
    max: Math.max(...ratios),
    rounds: ratios,
  };
}
