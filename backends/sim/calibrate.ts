/**
 * Calibration: fits a {@linkcode CostModel}'s step coefficients to measured steps of a real
 * backend (least squares, coefficients kept non-negative), and checks predictions.
 *
 * @module
 */
import { InvalidParameterError } from "@loom/core";
import { type CostModel, stepCostMs, type StepShape } from "./cost_model.ts";

/** A measured step: its shape and how long it took. */
export interface StepSample extends StepShape {
  /** Measured duration, ms. */
  readonly ms: number;
}

const KEYS = ["stepMs", "prefillTokenMs", "decodeSeqMs", "contextTokenMs"] as const;
const features = (s: StepShape) => [1, s.numPrefillTokens, s.numDecodeSeqs, s.numContextTokens];

/**
 * Fits the four step coefficients; swap and copy costs are taken from `base` (default 0).
 *
 * @example
 * ```ts
 * import { fitCostModel } from "./mod.ts";
 * const samples = Array.from({ length: 50 }, (_, i) => {
 *   const shape = {
 *     numPrefillTokens: (i * 37) % 200,
 *     numDecodeSeqs: i % 9,
 *     numContextTokens: i * 40,
 *   };
 *   return { ...shape, ms: 2 + 0.01 * shape.numPrefillTokens + 0.3 * shape.numDecodeSeqs };
 * });
 * const m = fitCostModel(samples);
 * console.log(m.stepMs.toFixed(2), m.decodeSeqMs.toFixed(2)); // "2.00" "0.30"
 * ```
 */
export function fitCostModel(
  samples: readonly StepSample[],
  base: Pick<CostModel, "swapBlockMs" | "copyBlockMs"> = { swapBlockMs: 0, copyBlockMs: 0 },
): CostModel {
  if (samples.length < KEYS.length) {
    throw new InvalidParameterError("samples", `need at least ${KEYS.length} steps`);
  }
  // scale columns to unit mean magnitude for a well-conditioned solve
  const scale = [0, 1, 2, 3].map((j) => {
    const m = samples.reduce((a, s) => a + Math.abs(features(s)[j]!), 0) / samples.length;
    return m > 0 ? 1 / m : 0;
  });
  let active = [0, 1, 2, 3].filter((j) => scale[j]! > 0);
  let coef = new Array<number>(4).fill(0);
  // active-set least squares: drop a column whose coefficient comes out negative, refit
  for (;;) {
    const sol = solveLeastSquares(samples, active, scale);
    const neg = active.filter((_, k) => sol[k]! < 0);
    if (neg.length === 0) {
      coef = new Array<number>(4).fill(0);
      active.forEach((j, k) => (coef[j] = sol[k]! * scale[j]!));
      break;
    }
    active = active.filter((j) => j !== neg[0]);
    if (active.length === 0) break;
  }
  return {
    stepMs: coef[0]!,
    prefillTokenMs: coef[1]!,
    decodeSeqMs: coef[2]!,
    contextTokenMs: coef[3]!,
    swapBlockMs: base.swapBlockMs,
    copyBlockMs: base.copyBlockMs,
  };
}

/**
 * Mean predicted and measured step time, and the relative error of the mean.
 *
 * @example
 * ```ts
 * import { checkPrediction, COST_PRESETS } from "./mod.ts";
 * const m = COST_PRESETS["gpu-8b"]!;
 * const s = { numPrefillTokens: 0, numDecodeSeqs: 10, numContextTokens: 0, ms: 10 };
 * console.log(checkPrediction(m, [s]).relativeError.toFixed(2)); // "-0.08"
 * ```
 */
export function checkPrediction(
  model: CostModel,
  samples: readonly StepSample[],
): { predictedMeanMs: number; measuredMeanMs: number; relativeError: number } {
  const n = Math.max(1, samples.length);
  const predictedMeanMs = samples.reduce((a, s) => a + stepCostMs(model, s), 0) / n;
  const measuredMeanMs = samples.reduce((a, s) => a + s.ms, 0) / n;
  return {
    predictedMeanMs,
    measuredMeanMs,
    relativeError: (predictedMeanMs - measuredMeanMs) / measuredMeanMs,
  };
}

function solveLeastSquares(
  samples: readonly StepSample[],
  cols: readonly number[],
  scale: readonly number[],
): number[] {
  const k = cols.length;
  const A = Array.from({ length: k }, () => new Array<number>(k + 1).fill(0));
  for (const s of samples) {
    const f = features(s);
    const x = cols.map((j) => f[j]! * scale[j]!);
    for (let r = 0; r < k; r++) {
      for (let c = 0; c < k; c++) A[r]![c]! += x[r]! * x[c]!;
      A[r]![k]! += x[r]! * s.ms;
    }
  }
  // Gaussian elimination with partial pivoting (tiny ridge for rank-deficient columns)
  for (let r = 0; r < k; r++) A[r]![r]! += 1e-9;
  for (let c = 0; c < k; c++) {
    let p = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(A[r]![c]!) > Math.abs(A[p]![c]!)) p = r;
    [A[c], A[p]] = [A[p]!, A[c]!];
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = A[r]![c]! / A[c]![c]!;
      for (let j = c; j <= k; j++) A[r]![j]! -= f * A[c]![j]!;
    }
  }
  return A.map((row, r) => row[k]! / row[r]!);
}
