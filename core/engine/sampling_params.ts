/**
 * Sampling parameters and their validation. Every invalid value gives an
 * {@linkcode InvalidParameterError} naming the parameter.
 *
 * @module
 */
import { InvalidParameterError } from "../errors.ts";

/** How to pick tokens, and when to stop. */
export interface SamplingParams {
  /** Most tokens to generate (default: 256, capped by the context). */
  readonly maxTokens?: number;
  /** Softmax temperature; 0 is greedy (default 1). */
  readonly temperature?: number;
  /** Keep the k most likely tokens; 0 or -1 keeps all (default 0). */
  readonly topK?: number;
  /** Nucleus sampling mass in (0, 1] (default 1). */
  readonly topP?: number;
  /** Drop tokens below `minP · p(top token)`, in [0, 1] (default 0). */
  readonly minP?: number;
  /** Divides positive / multiplies negative logits of seen tokens, > 0 (default 1). */
  readonly repetitionPenalty?: number;
  /** Subtracted once from logits of generated tokens, in [-2, 2] (default 0). */
  readonly presencePenalty?: number;
  /** Subtracted per occurrence from logits of generated tokens, in [-2, 2] (default 0). */
  readonly frequencyPenalty?: number;
  /** Token id → bias in [-100, 100] added to its logit. */
  readonly logitBias?: Readonly<Record<number, number>>;
  /** Seed of this request's RNG: the same seed gives the same text. */
  readonly seed?: number;
  /** Strings that end generation (not included in the output). */
  readonly stop?: readonly string[];
  /** Token ids that end generation (in addition to EOS unless `ignoreEos`). */
  readonly stopTokenIds?: readonly number[];
  /** Keep generating past EOS (default false). */
  readonly ignoreEos?: boolean;
  /** Return each token's log-probability with this many top alternatives (0–20); off when absent. */
  readonly logprobs?: number;
  /** Number of choices (default 1). */
  readonly n?: number;
}

const KNOWN = new Set([
  "maxTokens",
  "temperature",
  "topK",
  "topP",
  "minP",
  "repetitionPenalty",
  "presencePenalty",
  "frequencyPenalty",
  "logitBias",
  "seed",
  "stop",
  "stopTokenIds",
  "ignoreEos",
  "logprobs",
  "n",
]);

/** Parameters with defaults filled in. */
export type ResolvedSamplingParams = Required<Omit<SamplingParams, "seed" | "logprobs">> & {
  readonly seed: number | undefined;
  /** Top alternatives to return; `undefined` returns no log-probabilities. */
  readonly logprobs: number | undefined;
};

function num(
  name: string,
  v: unknown,
  lo: number,
  hi: number,
  opts: { int?: boolean; openLo?: boolean } = {},
): void {
  if (v === undefined) return;
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new InvalidParameterError(name, "must be a finite number");
  }
  if (opts.int && !Number.isInteger(v)) throw new InvalidParameterError(name, "must be an integer");
  if (opts.openLo ? v <= lo : v < lo) {
    throw new InvalidParameterError(name, `must be ${opts.openLo ? ">" : ">="} ${lo}, got ${v}`);
  }
  if (v > hi) throw new InvalidParameterError(name, `must be <= ${hi}, got ${v}`);
}

/**
 * Validates parameters against a vocabulary size and fills defaults.
 *
 * @example
 * ```ts
 * import { resolveSamplingParams } from "@loom/core";
 * console.log(resolveSamplingParams({ temperature: 0 }, 32000).topP); // 1
 * try {
 *   resolveSamplingParams({ topP: 1.5 }, 32000);
 * } catch (e) {
 *   console.log((e as { param: string }).param); // "topP"
 * }
 * ```
 */
export function resolveSamplingParams(
  p: SamplingParams,
  vocabSize: number,
): ResolvedSamplingParams {
  if (typeof p !== "object" || p === null) {
    throw new InvalidParameterError("params", "not an object");
  }
  for (const k of Object.keys(p)) {
    if (!KNOWN.has(k)) throw new InvalidParameterError(k, "unknown parameter");
  }
  num("maxTokens", p.maxTokens, 1, 1 << 30, { int: true });
  num("temperature", p.temperature, 0, 100);
  num("topK", p.topK, -1, vocabSize, { int: true });
  num("topP", p.topP, 0, 1, { openLo: true });
  num("minP", p.minP, 0, 1);
  num("repetitionPenalty", p.repetitionPenalty, 0, 100, { openLo: true });
  num("presencePenalty", p.presencePenalty, -2, 2);
  num("frequencyPenalty", p.frequencyPenalty, -2, 2);
  num("seed", p.seed, -(2 ** 53), 2 ** 53, { int: true });
  num("logprobs", p.logprobs, 0, 20, { int: true });
  num("n", p.n, 1, 128, { int: true });
  if (p.logitBias !== undefined) {
    if (typeof p.logitBias !== "object" || p.logitBias === null) {
      throw new InvalidParameterError("logitBias", "must be an object of token id → bias");
    }
    for (const [k, v] of Object.entries(p.logitBias)) {
      const id = Number(k);
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
        throw new InvalidParameterError("logitBias", `token id ${k} outside the vocabulary`);
      }
      num(`logitBias[${k}]`, v, -100, 100);
    }
  }
  if (p.stop !== undefined) {
    if (!Array.isArray(p.stop) || p.stop.some((s) => typeof s !== "string" || s.length === 0)) {
      throw new InvalidParameterError("stop", "must be a list of non-empty strings");
    }
    if (p.stop.length > 16) throw new InvalidParameterError("stop", "at most 16 stop strings");
  }
  if (p.stopTokenIds !== undefined) {
    if (
      !Array.isArray(p.stopTokenIds) ||
      p.stopTokenIds.some((t) => !Number.isInteger(t) || t < 0 || t >= vocabSize)
    ) {
      throw new InvalidParameterError("stopTokenIds", "must be token ids in the vocabulary");
    }
  }
  if (p.ignoreEos !== undefined && typeof p.ignoreEos !== "boolean") {
    throw new InvalidParameterError("ignoreEos", "must be a boolean");
  }
  return {
    maxTokens: p.maxTokens ?? 256,
    temperature: p.temperature ?? 1,
    topK: p.topK ?? 0,
    topP: p.topP ?? 1,
    minP: p.minP ?? 0,
    repetitionPenalty: p.repetitionPenalty ?? 1,
    presencePenalty: p.presencePenalty ?? 0,
    frequencyPenalty: p.frequencyPenalty ?? 0,
    logitBias: p.logitBias ?? {},
    seed: p.seed,
    stop: p.stop ?? [],
    stopTokenIds: p.stopTokenIds ?? [],
    ignoreEos: p.ignoreEos ?? false,
    logprobs: p.logprobs,
    n: p.n ?? 1,
  };
}
