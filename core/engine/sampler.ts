/**
 * Token sampling over one row of logits: logit bias, repetition / presence / frequency
 * penalties, temperature, top-k, top-p, min-p, then a draw from the request's seeded RNG.
 * Temperature 0 is greedy. Log-probabilities come from the model's distribution (before
 * penalties and temperature).
 *
 * @module
 */
import type { Rng } from "./rng.ts";
import type { ResolvedSamplingParams } from "./sampling_params.ts";

/** One token's log-probability. */
export interface TokenLogprob {
  /** Token id. */
  readonly id: number;
  /** Natural log of its probability. */
  readonly logprob: number;
}

/** The chosen token, and log-probabilities when asked. */
export interface SampledToken {
  /** Chosen id. */
  readonly id: number;
  /** Its log-probability, when logprobs were asked. */
  readonly logprob: number | undefined;
  /** The top alternatives, most likely first, when asked. */
  readonly top: readonly TokenLogprob[] | undefined;
}

/** Index of the largest value (first on ties). */
export function argmax(row: Float32Array): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}

function logSoftmaxAt(row: Float32Array, ids: readonly number[]): number[] {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i]! > max) max = row[i]!;
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i]! - max);
  const lse = max + Math.log(sum);
  return ids.map((id) => row[id]! - lse);
}

function topIndices(row: Float32Array, k: number): number[] {
  // k is small: keep a sorted list of the best k.
  const best: number[] = [];
  for (let i = 0; i < row.length; i++) {
    const v = row[i]!;
    if (best.length === k && v <= row[best[k - 1]!]!) continue;
    let j = best.length < k ? best.length : k - 1;
    while (j > 0 && row[best[j - 1]!]! < v) {
      if (j < k) best[j] = best[j - 1]!;
      j--;
    }
    best[j] = i;
  }
  return best;
}

/**
 * Samples one token. `seen` counts earlier tokens: `prompt` for the repetition penalty
 * (prompt and output), `output` for presence/frequency penalties. `row` is modified.
 *
 * @example
 * ```ts
 * import { resolveSamplingParams, Rng, sampleToken } from "@loom/core";
 * const p = resolveSamplingParams({ temperature: 0, logprobs: 1 }, 3);
 * const t = sampleToken(Float32Array.of(0.1, 2, 0.3), p, new Rng(1), new Map(), new Map());
 * console.log(t.id, t.top?.length); // 1 1
 * ```
 */
export function sampleToken(
  row: Float32Array,
  p: ResolvedSamplingParams,
  rng: Rng,
  promptCounts: ReadonlyMap<number, number>,
  outputCounts: ReadonlyMap<number, number>,
): SampledToken {
  let logprob: number | undefined, top: TokenLogprob[] | undefined;
  const modelRow = p.logprobs !== undefined ? row.slice() : undefined;
  for (const [id, bias] of Object.entries(p.logitBias)) row[Number(id)]! += bias;
  if (p.repetitionPenalty !== 1) {
    const seen = new Set([...promptCounts.keys(), ...outputCounts.keys()]);
    for (const id of seen) {
      const v = row[id]!;
      row[id] = v > 0 ? v / p.repetitionPenalty : v * p.repetitionPenalty;
    }
  }
  if (p.presencePenalty !== 0 || p.frequencyPenalty !== 0) {
    for (const [id, count] of outputCounts) {
      row[id]! -= p.presencePenalty + p.frequencyPenalty * count;
    }
  }
  const id = p.temperature === 0 ? argmax(row) : draw(row, p, rng);
  if (modelRow) {
    top = [];
    const topIds = p.logprobs! > 0 ? topIndices(modelRow, p.logprobs!) : [];
    const lps = logSoftmaxAt(modelRow, [id, ...topIds]);
    logprob = lps[0];
    topIds.forEach((t, i) => top!.push({ id: t, logprob: lps[i + 1]! }));
  }
  return { id, logprob, top };
}

function draw(row: Float32Array, p: ResolvedSamplingParams, rng: Rng): number {
  const V = row.length;
  // candidates: all ids, or the top-k
  let ids: number[];
  if (p.topK > 0 && p.topK < V) ids = topIndices(row, p.topK);
  else {
    ids = Array.from({ length: V }, (_, i) => i);
    if (p.topP < 1 || p.minP > 0) ids.sort((a, b) => row[b]! - row[a]!);
  }
  // probabilities at this temperature
  let max = -Infinity;
  for (const i of ids) if (row[i]! > max) max = row[i]!;
  const probs = ids.map((i) => Math.exp((row[i]! - max) / p.temperature));
  let total = probs.reduce((a, b) => a + b, 0);
  let n = ids.length;
  if (p.minP > 0) {
    const floor = p.minP * (probs[0]! / total) * total; // relative to the top token
    while (n > 1 && probs[n - 1]! < floor) n--;
    total = probs.slice(0, n).reduce((a, b) => a + b, 0);
  }
  if (p.topP < 1) {
    let mass = 0, keep = 0;
    while (keep < n && mass < p.topP * total) mass += probs[keep++]!;
    n = Math.max(1, keep);
    total = probs.slice(0, n).reduce((a, b) => a + b, 0);
  }
  let u = rng.next() * total;
  for (let i = 0; i < n; i++) {
    u -= probs[i]!;
    if (u < 0) return ids[i]!;
  }
  return ids[n - 1]!;
}
