/**
 * The simulator's cost model: how long one engine step takes, from the shape of its batch.
 * A step costs a fixed overhead, plus a cost per prefill token, per decoding sequence and
 * per context token its attention reads; block copies and swaps cost per block.
 *
 * @module
 */
import { type ForwardBatch, InvalidParameterError } from "@loom/core";

/** Milliseconds per unit of work. */
export interface CostModel {
  /** Fixed cost of a step (launches, weight reads of a memory-bound decode), ms. */
  readonly stepMs: number;
  /** Per token of a prefill chunk (a chunk of more than one token, or a first token), ms. */
  readonly prefillTokenMs: number;
  /** Per sequence decoding one token, ms. */
  readonly decodeSeqMs: number;
  /** Per context token attention reads (every sequence's context length), ms. */
  readonly contextTokenMs: number;
  /** Per KV block copied to or from host memory (swap), ms. */
  readonly swapBlockMs: number;
  /** Per KV block copied on the device (copy-on-write), ms. */
  readonly copyBlockMs: number;
}

/** What a step is made of, as the cost model counts it. */
export interface StepShape {
  /** Tokens of prefill chunks. */
  readonly numPrefillTokens: number;
  /** Sequences decoding one token. */
  readonly numDecodeSeqs: number;
  /** Context tokens read (sum of context lengths). */
  readonly numContextTokens: number;
}

/**
 * Presets. `reference-demo` was fitted on this repository's reference backend running the
 * built-in demo model (bench/schedulers.ts `--calibrate`; its `stepMs` is mostly the ~2 ms
 * the engine's `setTimeout(0)` yield takes between steps in Deno); `gpu-8b` is a roofline
 * estimate of an 8B-parameter fp16 model on one 2 TB/s, 300 TFLOP/s accelerator, for trace
 * studies at realistic scale.
 *
 * @example
 * ```ts
 * import { COST_PRESETS } from "./mod.ts";
 * console.log(Object.keys(COST_PRESETS).includes("gpu-8b")); // true
 * ```
 */
export const COST_PRESETS: Readonly<Record<string, CostModel>> = Object.freeze({
  "reference-demo": {
    stepMs: 2.18,
    prefillTokenMs: 0.125,
    decodeSeqMs: 0.107,
    contextTokenMs: 0.00027,
    swapBlockMs: 0.01,
    copyBlockMs: 0.005,
  },
  "gpu-8b": {
    stepMs: 8,
    prefillTokenMs: 0.06,
    decodeSeqMs: 0.12,
    contextTokenMs: 0.00007,
    swapBlockMs: 0.08,
    copyBlockMs: 0.002,
  },
});

/**
 * Counts a batch's prefill tokens, decoding sequences and context tokens.
 *
 * @example
 * ```ts
 * import { buildForwardBatch } from "@loom/core";
 * import { stepShape } from "./mod.ts";
 * const b = buildForwardBatch([
 *   { tokens: [1, 2, 3], startPos: 0, blockTable: [0], logits: "last" },
 *   { tokens: [7], startPos: 20, blockTable: [1, 2], logits: "last" },
 * ], 16);
 * console.log(stepShape(b)); // { numPrefillTokens: 3, numDecodeSeqs: 1, numContextTokens: 24 }
 * ```
 */
export function stepShape(batch: ForwardBatch): StepShape {
  const starts = batch.seqStarts, ctx = batch.contextLens;
  let numPrefillTokens = 0, numDecodeSeqs = 0, numContextTokens = 0;
  for (let s = 0; s < ctx.length; s++) {
    const n = starts[s + 1]! - starts[s]!, c = ctx[s]!;
    if (n === 1 && c > 1) numDecodeSeqs++;
    else numPrefillTokens += n;
    numContextTokens += c;
  }
  return { numPrefillTokens, numDecodeSeqs, numContextTokens };
}

/**
 * Predicted duration of a step of this shape, ms.
 *
 * @example
 * ```ts
 * import { COST_PRESETS, stepCostMs } from "./mod.ts";
 * const m = COST_PRESETS["gpu-8b"]!;
 * const ms = stepCostMs(m, { numPrefillTokens: 0, numDecodeSeqs: 32, numContextTokens: 32_000 });
 * console.log(ms > m.stepMs); // true
 * ```
 */
export function stepCostMs(model: CostModel, shape: StepShape): number {
  return model.stepMs + model.prefillTokenMs * shape.numPrefillTokens +
    model.decodeSeqMs * shape.numDecodeSeqs + model.contextTokenMs * shape.numContextTokens;
}

/**
 * Checks a cost model: every figure finite and >= 0. Returns it.
 *
 * @example
 * ```ts
 * import { checkCostModel, COST_PRESETS } from "./mod.ts";
 * console.log(checkCostModel(COST_PRESETS["gpu-8b"]!).stepMs); // 8
 * ```
 */
export function checkCostModel(model: CostModel): CostModel {
  for (const [k, v] of Object.entries(model)) {
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
      throw new InvalidParameterError(`costModel.${k}`, `must be a finite number >= 0, got ${v}`);
    }
  }
  return model;
}
